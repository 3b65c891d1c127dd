namespace Anvil.Machinery.Protobuf;

/// <summary>
/// Scalar fields that are pointers in the Go types of k8s.io/api, apimachinery and apiextensions
/// (<c>*int32</c>, <c>*int64</c>, <c>*bool</c>, <c>*string</c> and pointers to string-typed enums).
/// The Go marshaller writes a pointer scalar only when it is set, so its zero value on the wire is meant
/// ("replicas: 0", "gracePeriodSeconds: 0", "automountServiceAccountToken: false") and must reach JSON;
/// a value (non-pointer) scalar is always written, and its zero means unset.
/// </summary>
/// <remarks>
/// The table has no pointer information and neither has OpenAPI, so this list was written by hand from the
/// Go struct definitions (types.go of each served group at v1.32), covering spec-side fields of the kinds
/// Anvil serves plus their status pointers that clients write. Entries are "Message.field" (any package)
/// or a fully-qualified "package.Message.field" where the same message name differs between groups.
/// Message-typed fields need no list: the Go marshaller writes a value struct always and a pointer struct
/// only when set, and encoding/json emits both ({} included), so a message on the wire is always kept.
/// A missing entry only turns an explicit zero into "unset" (which defaulting then fills in).
/// </remarks>
internal static class GoPointerFields
{
    public static readonly string[] Entries =
    [
        // meta/v1
        "ObjectMeta.deletionGracePeriodSeconds",
        "OwnerReference.controller", "OwnerReference.blockOwnerDeletion",
        "DeleteOptions.gracePeriodSeconds", "DeleteOptions.orphanDependents", "DeleteOptions.propagationPolicy",
        "DeleteOptions.ignoreStoreReadErrorWithClusterBreakingPotential",
        "Preconditions.uid", "Preconditions.resourceVersion",
        "ListMeta.remainingItemCount",
        "ListOptions.timeoutSeconds", "ListOptions.sendInitialEvents",
        "PatchOptions.force",

        // core/v1: pods and containers
        "PodSpec.terminationGracePeriodSeconds", "PodSpec.activeDeadlineSeconds", "PodSpec.automountServiceAccountToken",
        "PodSpec.shareProcessNamespace", "PodSpec.priority", "PodSpec.enableServiceLinks", "PodSpec.preemptionPolicy",
        "PodSpec.runtimeClassName", "PodSpec.setHostnameAsFQDN", "PodSpec.hostUsers",
        "PodSecurityContext.runAsUser", "PodSecurityContext.runAsGroup", "PodSecurityContext.runAsNonRoot",
        "PodSecurityContext.fsGroup", "PodSecurityContext.fsGroupChangePolicy",
        "PodSecurityContext.supplementalGroupsPolicy", "PodSecurityContext.seLinuxChangePolicy",
        "SecurityContext.privileged", "SecurityContext.runAsUser", "SecurityContext.runAsGroup",
        "SecurityContext.runAsNonRoot", "SecurityContext.readOnlyRootFilesystem",
        "SecurityContext.allowPrivilegeEscalation", "SecurityContext.procMount",
        "WindowsSecurityContextOptions.gmsaCredentialSpecName", "WindowsSecurityContextOptions.gmsaCredentialSpec",
        "WindowsSecurityContextOptions.runAsUserName", "WindowsSecurityContextOptions.hostProcess",
        "SeccompProfile.localhostProfile", "AppArmorProfile.localhostProfile",
        "Container.restartPolicy", "EphemeralContainerCommon.restartPolicy",
        "VolumeMount.mountPropagation", "VolumeMount.recursiveReadOnly",
        "Probe.terminationGracePeriodSeconds", "GRPCAction.service",
        "Toleration.tolerationSeconds",
        "TopologySpreadConstraint.minDomains", "TopologySpreadConstraint.nodeAffinityPolicy",
        "TopologySpreadConstraint.nodeTaintsPolicy",
        "PodDNSConfigOption.value",
        "PodResourceClaim.resourceClaimName", "PodResourceClaim.resourceClaimTemplateName",
        "ContainerStatus.started", "VolumeMountStatus.recursiveReadOnly", "PodResourceClaimStatus.resourceClaimName",
        "PodLogOptions.sinceSeconds", "PodLogOptions.tailLines", "PodLogOptions.limitBytes",

        // core/v1: environment and volumes
        "ConfigMapKeySelector.optional", "SecretKeySelector.optional",
        "ConfigMapEnvSource.optional", "SecretEnvSource.optional",
        "ConfigMapVolumeSource.defaultMode", "ConfigMapVolumeSource.optional",
        "SecretVolumeSource.defaultMode", "SecretVolumeSource.optional",
        "ProjectedVolumeSource.defaultMode", "ConfigMapProjection.optional", "SecretProjection.optional",
        "KeyToPath.mode", "DownwardAPIVolumeSource.defaultMode", "DownwardAPIVolumeFile.mode",
        "ServiceAccountTokenProjection.expirationSeconds",
        "ClusterTrustBundleProjection.name", "ClusterTrustBundleProjection.signerName",
        "ClusterTrustBundleProjection.optional",
        "HostPathVolumeSource.type",
        "CSIVolumeSource.readOnly", "CSIVolumeSource.fsType",
        "ISCSIVolumeSource.initiatorName", "ISCSIPersistentVolumeSource.initiatorName",
        "AzureDiskVolumeSource.cachingMode", "AzureDiskVolumeSource.fsType", "AzureDiskVolumeSource.readOnly",
        "AzureDiskVolumeSource.kind",
        "LocalVolumeSource.fsType",
        "GlusterfsPersistentVolumeSource.endpointsNamespace", "AzureFilePersistentVolumeSource.secretNamespace",
        "PersistentVolumeClaimSpec.storageClassName", "PersistentVolumeClaimSpec.volumeMode",
        "PersistentVolumeClaimSpec.volumeAttributesClassName",
        "PersistentVolumeSpec.volumeMode", "PersistentVolumeSpec.volumeAttributesClassName",
        "PersistentVolumeClaimStatus.currentVolumeAttributesClassName",
        "TypedLocalObjectReference.apiGroup", "TypedObjectReference.apiGroup", "TypedObjectReference.namespace",

        // core/v1: other kinds
        "ConfigMap.immutable", "Secret.immutable",
        "ServiceAccount.automountServiceAccountToken",
        "ServiceSpec.ipFamilyPolicy", "ServiceSpec.allocateLoadBalancerNodePorts", "ServiceSpec.loadBalancerClass",
        "ServiceSpec.internalTrafficPolicy", "ServiceSpec.trafficDistribution",
        "ClientIPConfig.timeoutSeconds",
        "ServicePort.appProtocol", "LoadBalancerIngress.ipMode", "PortStatus.error",
        "NodeFeatures.supplementalGroupsPolicy",
        "NodeRuntimeHandlerFeatures.recursiveReadOnlyMounts", "NodeRuntimeHandlerFeatures.userNamespaces",
        "k8s.io.api.core.v1.EndpointPort.appProtocol", "EndpointAddress.nodeName",
        "ReplicationControllerSpec.replicas",

        // apps
        "DeploymentSpec.replicas", "DeploymentSpec.revisionHistoryLimit", "DeploymentSpec.progressDeadlineSeconds",
        "DeploymentStatus.collisionCount",
        "StatefulSetSpec.replicas", "StatefulSetSpec.revisionHistoryLimit", "StatefulSetStatus.collisionCount",
        "RollingUpdateStatefulSetStrategy.partition",
        "DaemonSetSpec.revisionHistoryLimit", "DaemonSetStatus.collisionCount",
        "ReplicaSetSpec.replicas",

        // batch
        "JobSpec.parallelism", "JobSpec.completions", "JobSpec.activeDeadlineSeconds", "JobSpec.backoffLimit",
        "JobSpec.backoffLimitPerIndex", "JobSpec.maxFailedIndexes", "JobSpec.manualSelector",
        "JobSpec.ttlSecondsAfterFinished", "JobSpec.completionMode", "JobSpec.suspend",
        "JobSpec.podReplacementPolicy", "JobSpec.managedBy",
        "JobStatus.ready", "JobStatus.failedIndexes", "JobStatus.terminating",
        "PodFailurePolicyOnExitCodesRequirement.containerName",
        "SuccessPolicyRule.succeededIndexes", "SuccessPolicyRule.succeededCount",
        "CronJobSpec.timeZone", "CronJobSpec.startingDeadlineSeconds", "CronJobSpec.suspend",
        "CronJobSpec.successfulJobsHistoryLimit", "CronJobSpec.failedJobsHistoryLimit",

        // authentication, certificates, coordination, policy, scheduling
        "TokenRequestSpec.expirationSeconds",
        "CertificateSigningRequestSpec.expirationSeconds",
        "LeaseSpec.holderIdentity", "LeaseSpec.leaseDurationSeconds", "LeaseSpec.leaseTransitions",
        "LeaseSpec.strategy", "LeaseSpec.preferredHolder",
        "PodDisruptionBudgetSpec.unhealthyPodEvictionPolicy",
        "PriorityClass.preemptionPolicy",

        // networking
        "NetworkPolicyPort.protocol", "NetworkPolicyPort.endPort",
        "IngressSpec.ingressClassName", "HTTPIngressPath.pathType",
        "IngressClassParametersReference.apiGroup", "IngressClassParametersReference.scope",
        "IngressClassParametersReference.namespace",
        "IngressPortStatus.error",

        // discovery
        "k8s.io.api.discovery.v1.Endpoint.hostname", "k8s.io.api.discovery.v1.Endpoint.nodeName",
        "k8s.io.api.discovery.v1.Endpoint.zone",
        "EndpointConditions.ready", "EndpointConditions.serving", "EndpointConditions.terminating",
        "k8s.io.api.discovery.v1.EndpointPort.name", "k8s.io.api.discovery.v1.EndpointPort.protocol",
        "k8s.io.api.discovery.v1.EndpointPort.port", "k8s.io.api.discovery.v1.EndpointPort.appProtocol",

        // autoscaling
        "HorizontalPodAutoscalerSpec.minReplicas", "HorizontalPodAutoscalerSpec.targetCPUUtilizationPercentage",
        "HorizontalPodAutoscalerStatus.observedGeneration",
        "HorizontalPodAutoscalerStatus.currentCPUUtilizationPercentage",
        "HPAScalingRules.stabilizationWindowSeconds", "HPAScalingRules.selectPolicy",
        "MetricTarget.averageUtilization", "MetricValueStatus.averageUtilization",
        "k8s.io.api.autoscaling.v1.ResourceMetricSource.targetAverageUtilization",
        "k8s.io.api.autoscaling.v1.ResourceMetricStatus.currentAverageUtilization",
        "k8s.io.api.autoscaling.v1.ContainerResourceMetricSource.targetAverageUtilization",
        "k8s.io.api.autoscaling.v1.ContainerResourceMetricStatus.currentAverageUtilization",

        // admissionregistration
        "ValidatingWebhook.failurePolicy", "ValidatingWebhook.matchPolicy", "ValidatingWebhook.sideEffects",
        "ValidatingWebhook.timeoutSeconds",
        "MutatingWebhook.failurePolicy", "MutatingWebhook.matchPolicy", "MutatingWebhook.sideEffects",
        "MutatingWebhook.timeoutSeconds", "MutatingWebhook.reinvocationPolicy",
        "WebhookClientConfig.url", "ServiceReference.path", "ServiceReference.port",
        "Rule.scope",
        "ValidatingAdmissionPolicySpec.failurePolicy", "ParamRef.parameterNotFoundAction",
        "MatchResources.matchPolicy", "Validation.reason",

        // storage
        "StorageClass.reclaimPolicy", "StorageClass.allowVolumeExpansion", "StorageClass.volumeBindingMode",
        "CSIDriverSpec.attachRequired", "CSIDriverSpec.podInfoOnMount", "CSIDriverSpec.storageCapacity",
        "CSIDriverSpec.fsGroupPolicy", "CSIDriverSpec.requiresRepublish", "CSIDriverSpec.seLinuxMount",
        "VolumeAttachmentSource.persistentVolumeName", "VolumeNodeResources.count",
        "k8s.io.api.storage.v1.TokenRequest.expirationSeconds",

        // flowcontrol
        "LimitedPriorityLevelConfiguration.nominalConcurrencyShares",
        "LimitedPriorityLevelConfiguration.lendablePercent",
        "LimitedPriorityLevelConfiguration.borrowingLimitPercent",
        "ExemptPriorityLevelConfiguration.nominalConcurrencyShares",
        "ExemptPriorityLevelConfiguration.lendablePercent",

        // apiextensions (CustomResourceDefinition)
        "CustomResourceDefinitionVersion.deprecationWarning",
        "CustomResourceSubresourceScale.labelSelectorPath",
        "JSONSchemaProps.ref", "JSONSchemaProps.maximum", "JSONSchemaProps.minimum", "JSONSchemaProps.multipleOf",
        "JSONSchemaProps.maxLength", "JSONSchemaProps.minLength", "JSONSchemaProps.maxItems",
        "JSONSchemaProps.minItems", "JSONSchemaProps.maxProperties", "JSONSchemaProps.minProperties",
        "JSONSchemaProps.xKubernetesPreserveUnknownFields", "JSONSchemaProps.xKubernetesListType",
        "JSONSchemaProps.xKubernetesMapType",
        "ValidationRule.reason", "ValidationRule.optionalOldSelf",
    ];
}
