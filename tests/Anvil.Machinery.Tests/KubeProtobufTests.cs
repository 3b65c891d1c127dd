using System.Text;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Protobuf;
using W = Anvil.Machinery.Tests.ProtoTestWriter;

namespace Anvil.Machinery.Tests;

/// <summary>
/// Bodies built with <see cref="ProtoTestWriter"/> as the Go marshaller writes them: every value field is
/// written even when empty, pointer fields only when set.
/// </summary>
public sealed class KubeProtobufTests
{
    /// <summary>ObjectMeta as Go writes it: the value fields 1-8 always, the rest only when set.</summary>
    private static W Meta(string name, string ns = "", Func<W, W>? more = null)
    {
        var w = new W().String(1, name).String(2, "").String(3, ns).String(4, "").String(5, "").String(6, "")
            .Int(7, 0).Empty(8);
        return more == null ? w : more(w);
    }

    [Fact]
    public void NamespaceMatchesTheBytesKubectlSends()
    {
        // kubectl_surface.md §4: #1{#1 "v1" #2 "Namespace"} #2{#1{#1 "foo" ... #7 0 #8 {}} #2 "" #3{#1 ""}} #3 "" #4 ""
        var body = W.Envelope("v1", "Namespace", new W().Message(1, Meta("foo")).Empty(2).Message(3, s => s.String(1, "")));

        Assert.Equal(Convert.FromHexString(
            "6b3873000a0f0a02763112094e616d657370616365121b0a130a03666f6f12001a0022002a0032003800420012001a020a001a002200"), body);
        JsonAssert.Equal("""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"foo","creationTimestamp":null},"spec":{},"status":{}}""",
            KubeProtobuf.Decode(body));
    }

    [Fact]
    public void ConfigMapWithDataAndPointerImmutableFalse()
    {
        var cm = new W().Message(1, Meta("cfg", "default"))
            .Bool(4, false) // immutable is *bool: an explicit false is kept
            .Entry(2, "a", "1").Entry(2, "empty", "")
            .Entry(3, "bin", [0, 1, 2, 255]);

        JsonAssert.Equal(
            """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg","namespace":"default","creationTimestamp":null},"immutable":false,"data":{"a":"1","empty":""},"binaryData":{"bin":"AAEC/w=="}}""",
            KubeProtobuf.Decode(W.Envelope("v1", "ConfigMap", cm)));
    }

    [Fact]
    public void SecretBytesBecomeBase64()
    {
        var secret = new W().Message(1, Meta("sec", "default"))
            .Entry(2, "password", Encoding.UTF8.GetBytes("s3cr3t")).Entry(2, "empty", [])
            .String(3, "Opaque")
            .Entry(4, "plain", "text");

        JsonAssert.Equal(
            """{"apiVersion":"v1","kind":"Secret","metadata":{"name":"sec","namespace":"default","creationTimestamp":null},"data":{"password":"czNjcjN0","empty":""},"type":"Opaque","stringData":{"plain":"text"}}""",
            KubeProtobuf.Decode(W.Envelope("v1", "Secret", secret)));
    }

    /// <summary>A Container as Go writes it (value fields always), with extra fields from <paramref name="more"/>.</summary>
    private static W Container(string name, string image, Func<W, W>? more = null, Func<W, W>? resources = null)
    {
        var w = new W().String(1, name).String(2, image).String(5, "");
        w = more?.Invoke(w) ?? w;
        return w.Message(8, resources ?? (r => r))
            .String(13, "").String(14, "").Bool(16, false).Bool(17, false).Bool(18, false).String(20, "");
    }

    [Fact]
    public void DeploymentWithZeroReplicasPortsAndQuantities()
    {
        var container = Container("web", "nginx:1.27",
            c => c.Message(6, p => p.String(1, "http").Int(2, 0).Int(3, 8080).String(4, "TCP").String(5, "")),
            r => r.Entry(1, "cpu", q => q.String(1, "500m")).Entry(1, "memory", q => q.String(1, "128Mi"))
                .Entry(2, "cpu", q => q.String(1, "100m")));
        var podSpec = new W().Message(2, container).String(3, "Always").String(6, "ClusterFirst")
            .String(8, "").String(9, "").String(10, "").Bool(11, false).Bool(12, false).Bool(13, false)
            .Message(14, s => s).String(16, "").String(17, "").String(19, "default-scheduler").String(24, "");
        var spec = new W()
            .Int(1, 0) // replicas is *int32: 0 must survive
            .Message(2, s => s.Entry(1, "app", "web"))
            .Message(3, t => t.Message(1, Meta("", more: m => m.Entry(11, "app", "web"))).Message(2, podSpec))
            .Message(4, s => s.String(1, "RollingUpdate").Message(2, ru => ru
                .Message(1, i => i.Int(1, 0).Int(2, 0).String(3, "")) // maxUnavailable 0
                .Message(2, i => i.Int(1, 1).Int(2, 0).String(3, "25%"))))
            .Int(5, 0).Bool(7, false);
        var deployment = new W().Message(1, Meta("web", "default")).Message(2, spec).Message(3, s => s.Int(1, 0).Int(2, 0));

        JsonAssert.Equal("""
            {"apiVersion":"apps/v1","kind":"Deployment",
             "metadata":{"name":"web","namespace":"default","creationTimestamp":null},
             "spec":{"replicas":0,"selector":{"matchLabels":{"app":"web"}},
               "template":{"metadata":{"creationTimestamp":null,"labels":{"app":"web"}},
                 "spec":{"containers":[{"name":"web","image":"nginx:1.27","ports":[{"name":"http","containerPort":8080,"protocol":"TCP"}],
                   "resources":{"limits":{"cpu":"500m","memory":"128Mi"},"requests":{"cpu":"100m"}}}],
                   "restartPolicy":"Always","dnsPolicy":"ClusterFirst","securityContext":{},"schedulerName":"default-scheduler"}},
               "strategy":{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":0,"maxSurge":"25%"}}},
             "status":{}}
            """, KubeProtobuf.Decode(W.Envelope("apps/v1", "Deployment", deployment)));
    }

    [Fact]
    public void JobWithOwnerReferencesAndPointerFalse()
    {
        var owner = new W().String(1, "CronJob").String(3, "nightly").String(4, "uid-1").String(5, "batch/v1")
            .Bool(6, true).Bool(7, false); // controller and blockOwnerDeletion are *bool
        var meta = Meta("manual", "default", m => m
            .Entry(11, "app", "nightly")
            .Entry(12, "cronjob.kubernetes.io/instantiate", "manual")
            .Message(13, owner));
        var spec = new W().Message(6, t => t.Message(1, Meta("")).Message(2, p => p.Message(2, Container("run", "busybox")).String(3, "Never")))
            .Int(7, 0)          // backoffLimit
            .Bool(10, false);   // suspend
        var job = new W().Message(1, meta).Message(2, spec).Message(3, s => s.Int(4, 0).Int(5, 0).Int(6, 0));

        JsonAssert.Equal("""
            {"apiVersion":"batch/v1","kind":"Job",
             "metadata":{"name":"manual","namespace":"default","creationTimestamp":null,"labels":{"app":"nightly"},
               "annotations":{"cronjob.kubernetes.io/instantiate":"manual"},
               "ownerReferences":[{"apiVersion":"batch/v1","kind":"CronJob","name":"nightly","uid":"uid-1","controller":true,"blockOwnerDeletion":false}]},
             "spec":{"template":{"metadata":{"creationTimestamp":null},"spec":{"containers":[{"name":"run","image":"busybox","resources":{}}],"restartPolicy":"Never"}},
               "backoffLimit":0,"suspend":false},
             "status":{}}
            """, KubeProtobuf.Decode(W.Envelope("batch/v1", "Job", job)));
    }

    [Fact]
    public void SelfSubjectAccessReviewWithResourceAttributes()
    {
        var attributes = new W().String(1, "tool-a").String(2, "list").String(3, "apps").String(4, "").String(5, "deployments")
            .String(6, "").String(7, "");
        var review = new W().Message(1, Meta("")).Message(2, s => s.Message(1, attributes))
            .Message(3, s => s.Bool(1, false).String(2, "").String(3, "").Bool(4, false));

        JsonAssert.Equal("""
            {"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","metadata":{"creationTimestamp":null},
             "spec":{"resourceAttributes":{"namespace":"tool-a","verb":"list","group":"apps","resource":"deployments"}},
             "status":{"allowed":false}}
            """, KubeProtobuf.Decode(W.Envelope("authorization.k8s.io/v1", "SelfSubjectAccessReview", review)));
    }

    [Fact]
    public void SubjectAccessReviewExtraValuesAreArrays()
    {
        var spec = new W().String(3, "alice").String(4, "devs").String(4, "qa")
            .Entry(5, "scopes", v => v.String(1, "read").String(1, "write"))
            .Entry(5, "none", v => v)
            .String(6, "");
        var review = new W().Message(1, Meta("")).Message(2, spec).Message(3, s => s.Bool(1, true));

        JsonAssert.Equal("""
            {"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","metadata":{"creationTimestamp":null},
             "spec":{"user":"alice","groups":["devs","qa"],"extra":{"scopes":["read","write"],"none":[]}},
             "status":{"allowed":true}}
            """, KubeProtobuf.Decode(W.Envelope("authorization.k8s.io/v1", "SubjectAccessReview", review)));
    }

    [Fact]
    public void SelfSubjectReview()
    {
        var review = new W().Message(1, Meta("")).Message(2, s => s.Message(1, u => u.String(1, "").String(2, "")));

        JsonAssert.Equal(
            """{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview","metadata":{"creationTimestamp":null},"status":{"userInfo":{}}}""",
            KubeProtobuf.Decode(W.Envelope("authentication.k8s.io/v1", "SelfSubjectReview", review)));
    }

    [Theory]
    [InlineData("v1")]
    [InlineData("meta.k8s.io/v1")]
    [InlineData("batch/v1")]
    [InlineData("apps/v1")]
    public void DeleteOptionsInAnyServedVersion(string apiVersion)
    {
        var options = new W().Int(1, 0).Message(2, p => p.String(1, "uid-1")).Bool(3, false).String(4, "Foreground")
            .String(5, "All");

        JsonAssert.Equal(
            $$"""{"apiVersion":"{{apiVersion}}","kind":"DeleteOptions","gracePeriodSeconds":0,"preconditions":{"uid":"uid-1"},"orphanDependents":false,"propagationPolicy":"Foreground","dryRun":["All"]}""",
            KubeProtobuf.Decode(W.Envelope(apiVersion, "DeleteOptions", options)));
    }

    [Fact]
    public void EvictionWithEmptyDeleteOptions()
    {
        var eviction = new W().Message(1, Meta("web-1", "default")).Empty(2);

        JsonAssert.Equal(
            """{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"web-1","namespace":"default","creationTimestamp":null},"deleteOptions":{}}""",
            KubeProtobuf.Decode(W.Envelope("policy/v1", "Eviction", eviction)));
    }

    [Fact]
    public void ServiceTargetPortsAsIntAndString()
    {
        static W Port(string name, int port, Func<W, W> target) =>
            new W().String(1, name).String(2, "TCP").Int(3, port).Message(4, target).Int(5, 0);
        var spec = new W()
            .Message(1, Port("http", 80, t => t.Int(1, 0).Int(2, 8080).String(3, "")))
            .Message(1, Port("https", 443, t => t.Int(1, 1).Int(2, 0).String(3, "https")))
            .Entry(2, "app", "web")
            .String(3, "").String(4, "ClusterIP").String(7, "").String(8, "").String(10, "").String(11, "")
            .Int(12, 0).Bool(13, false)
            .Message(14, c => c.Message(1, ip => ip.Int(1, 0))) // sessionAffinityConfig.clientIP.timeoutSeconds is *int32
            .Bool(20, false);                                     // allocateLoadBalancerNodePorts is *bool
        var service = new W().Message(1, Meta("web", "default")).Message(2, spec).Message(3, s => s.Message(1, lb => lb));

        JsonAssert.Equal("""
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"default","creationTimestamp":null},
             "spec":{"ports":[{"name":"http","protocol":"TCP","port":80,"targetPort":8080},{"name":"https","protocol":"TCP","port":443,"targetPort":"https"}],
               "selector":{"app":"web"},"type":"ClusterIP","sessionAffinityConfig":{"clientIP":{"timeoutSeconds":0}},
               "allocateLoadBalancerNodePorts":false},
             "status":{"loadBalancer":{}}}
            """, KubeProtobuf.Decode(W.Envelope("v1", "Service", service)));
    }

    [Fact]
    public void PodVolumesAndProbesAreInlined()
    {
        var volumes = new[]
        {
            new W().String(1, "scratch").Message(2, s => s.Message(2, e => e.String(1, ""))),
            new W().String(1, "config").Message(2, s => s.Message(19, c => c.Message(1, r => r.String(1, "app-config"))
                .Message(2, k => k.String(1, "a").String(2, "a.txt")).Int(3, 420))),
            new W().String(1, "creds").Message(2, s => s.Message(6, c => c.String(1, "creds").Int(3, 0).Bool(4, true))),
        };
        var liveness = new W()
            .Message(1, h => h.Message(2, g => g.String(1, "/healthz").Message(2, p => p.Int(1, 1).Int(2, 0).String(3, "http"))
                .String(3, "").String(4, "HTTP")))
            .Int(2, 5).Int(3, 0).Int(4, 10).Int(5, 0).Int(6, 3);
        var readiness = new W().Message(1, h => h.Message(1, e => e.String(1, "cat").String(1, "/tmp/ready")))
            .Int(2, 0).Int(3, 1).Int(4, 0).Int(5, 0).Int(6, 0);
        var container = Container("app", "busybox", c => c
            .Message(9, m => m.String(1, "config").Bool(2, true).String(3, "/etc/app").String(4, "").String(6, ""))
            .Message(10, liveness).Message(11, readiness)
            .Message(15, s => s));
        var podSpec = new W();
        foreach (var v in volumes) podSpec.Message(1, v);
        podSpec.Message(2, container).String(3, "").Int(4, 0).String(6, "")
            .Entry(7, "disk", "ssd")
            .Message(14, s => s.Bool(3, true))
            .Int(25, -5); // priority is *int32; negative numbers are 10-byte varints
        var pod = new W().Message(1, Meta("p", "default")).Message(2, podSpec);

        JsonAssert.Equal("""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"default","creationTimestamp":null},
             "spec":{
               "volumes":[{"name":"scratch","emptyDir":{}},
                          {"name":"config","configMap":{"name":"app-config","items":[{"key":"a","path":"a.txt"}],"defaultMode":420}},
                          {"name":"creds","secret":{"secretName":"creds","defaultMode":0,"optional":true}}],
               "containers":[{"name":"app","image":"busybox","resources":{},
                  "volumeMounts":[{"name":"config","readOnly":true,"mountPath":"/etc/app"}],
                  "livenessProbe":{"httpGet":{"path":"/healthz","port":"http","scheme":"HTTP"},"initialDelaySeconds":5,"periodSeconds":10,"failureThreshold":3},
                  "readinessProbe":{"exec":{"command":["cat","/tmp/ready"]},"timeoutSeconds":1},
                  "securityContext":{}}],
               "terminationGracePeriodSeconds":0,
               "nodeSelector":{"disk":"ssd"},
               "securityContext":{"runAsNonRoot":true},
               "priority":-5}}
            """, KubeProtobuf.Decode(W.Envelope("v1", "Pod", pod)));
    }

    [Fact]
    public void PackedAndUnpackedRepeatedNumbers()
    {
        // PodSecurityContext.supplementalGroups (repeated int64): Go writes it unpacked; packed is accepted too.
        var packed = Varints(1000, 2000);
        var security = new W().Int(4, 10).Tag(4, 2).RawBytes([(byte)packed.Length, .. packed]).Int(4, 30);
        var pod = new W().Message(1, Meta("p")).Message(2, s => s.Message(14, security));

        JsonAssert.Equal("""[10,1000,2000,30]""",
            KubeProtobuf.Decode(W.Envelope("v1", "Pod", pod))["spec"]!["securityContext"]!["supplementalGroups"]);
    }

    private static byte[] Varints(params long[] values)
    {
        var bytes = new List<byte>();
        foreach (var v in values)
        {
            var u = (ulong)v;
            while (u >= 0x80)
            {
                bytes.Add((byte)(u | 0x80));
                u >>= 7;
            }
            bytes.Add((byte)u);
        }
        return [.. bytes];
    }

    [Fact]
    public void TimesAndMicroTimes()
    {
        var meta = Meta("l", "default", m => m
            .Message(9, t => t.Int(1, 1704164645)) // deletionTimestamp 2024-01-02T03:04:05Z
            .Message(17, f => f.String(1, "kubectl").String(2, "Update").String(3, "v1")
                .Message(4, t => t.Int(1, 1704164645).Int(2, 999)) // nanos are ignored for Time
                .String(6, "FieldsV1").Message(7, r => r.Bytes(1, Encoding.UTF8.GetBytes("""{"f:spec":{}}""")))
                .String(8, "")));
        var lease = new W().Message(1, meta).Message(2, s => s.String(1, "node-1").Int(2, 0)
            .Message(3, t => t.Int(1, 1704164645))
            .Message(4, t => t.Int(1, 1704164645).Int(2, 123456789)));
        var body = W.Envelope("coordination.k8s.io/v1", "Lease", lease);

        JsonAssert.Equal("""
            {"apiVersion":"coordination.k8s.io/v1","kind":"Lease",
             "metadata":{"name":"l","namespace":"default","creationTimestamp":null,"deletionTimestamp":"2024-01-02T03:04:05Z",
               "managedFields":[{"manager":"kubectl","operation":"Update","apiVersion":"v1","time":"2024-01-02T03:04:05Z",
                 "fieldsType":"FieldsV1","fieldsV1":{"f:spec":{}}}]},
             "spec":{"holderIdentity":"node-1","leaseDurationSeconds":0,
               "acquireTime":"2024-01-02T03:04:05.000000Z","renewTime":"2024-01-02T03:04:05.123456Z"}}
            """, KubeProtobuf.Decode(body));
    }

    [Fact]
    public void RawExtensionHoldsJsonOrANestedEnvelope()
    {
        var nested = W.Envelope("v1", "ConfigMap", new W().Message(1, Meta("inner")).Entry(2, "k", "v"));
        static W Revision(byte[] raw, int revision) =>
            new W().Message(1, Meta("rev")).Message(2, r => r.Bytes(1, raw)).Int(3, revision);

        JsonAssert.Equal("""{"apiVersion":"apps/v1","kind":"ControllerRevision","metadata":{"name":"rev","creationTimestamp":null},"data":{"spec":{"x":1}},"revision":2}""",
            KubeProtobuf.Decode(W.Envelope("apps/v1", "ControllerRevision", Revision(Encoding.UTF8.GetBytes("""{"spec":{"x":1}}"""), 2))));
        JsonAssert.Equal("""{"apiVersion":"apps/v1","kind":"ControllerRevision","metadata":{"name":"rev","creationTimestamp":null},"data":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"inner","creationTimestamp":null},"data":{"k":"v"}},"revision":0}""",
            KubeProtobuf.Decode(W.Envelope("apps/v1", "ControllerRevision", Revision(nested, 0))));
        JsonAssert.Equal("""{"apiVersion":"apps/v1","kind":"ControllerRevision","metadata":{"name":"rev","creationTimestamp":null},"data":null,"revision":1}""",
            KubeProtobuf.Decode(W.Envelope("apps/v1", "ControllerRevision", Revision([], 1))));
    }

    [Fact]
    public void CustomResourceDefinitionSchema()
    {
        static W Props(Func<W, W> build) => build(new W());
        var replicas = Props(p => p.String(5, "integer").Double(9, 10.5).Double(11, 0).Int(13, 0)
            .Message(8, j => j.Bytes(1, "1"u8.ToArray())));
        var spec = Props(p => p.String(5, "object").Bool(38, true));
        var tags = Props(p => p.String(5, "array").Message(24, a => a.Message(1, Props(s => s.String(5, "string")
            .Message(20, j => j.Bytes(1, "\"a\""u8.ToArray())).Message(20, j => j.Bytes(1, "\"b\""u8.ToArray()))))));
        var root = Props(p => p.String(3, "#/defs/x").String(5, "object")
            .Entry(29, "replicas", _ => replicas).Entry(29, "spec", _ => spec).Entry(29, "tags", _ => tags)
            .Message(30, b => b.Bool(1, false))
            .Entry(32, "replicas", d => d.Message(1, Props(x => x.String(5, "object"))))
            .Entry(32, "tags", d => d.String(2, "replicas"))
            .Bool(37, false).String(42, "atomic"));
        var version = new W().String(1, "v1").Bool(2, true).Bool(3, true).Bool(7, false)
            .Message(4, v => v.Message(1, root));
        var crdSpec = new W().String(1, "example.com")
            .Message(3, n => n.String(1, "widgets").String(2, "widget").String(4, "Widget").String(5, "WidgetList"))
            .String(4, "Namespaced").Message(7, version).Bool(10, false);
        // acceptedNames.plural and .kind have no omitempty in Go, so their empty values stay.
        var crd = new W().Message(1, Meta("widgets.example.com")).Message(2, crdSpec)
            .Message(3, s => s.Message(2, n => n.String(1, "").String(2, "").String(4, "").String(5, "")));

        JsonAssert.Equal("""
            {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
             "metadata":{"name":"widgets.example.com","creationTimestamp":null},
             "spec":{"group":"example.com","names":{"plural":"widgets","singular":"widget","kind":"Widget","listKind":"WidgetList"},
               "scope":"Namespaced",
               "versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{
                 "$ref":"#/defs/x","type":"object",
                 "properties":{
                   "replicas":{"type":"integer","maximum":10.5,"minimum":0,"maxLength":0,"default":1},
                   "spec":{"type":"object","x-kubernetes-preserve-unknown-fields":true},
                   "tags":{"type":"array","items":{"type":"string","enum":["a","b"]}}},
                 "additionalProperties":false,
                 "dependencies":{"replicas":{"type":"object"},"tags":["replicas"]},
                 "x-kubernetes-list-type":"atomic"}}}]},
             "status":{"acceptedNames":{"plural":"","kind":""}}}
            """, KubeProtobuf.Decode(W.Envelope("apiextensions.k8s.io/v1", "CustomResourceDefinition", crd)));
    }

    [Fact]
    public void UnknownFieldsAreSkipped()
    {
        var ns = new W().Message(1, Meta("foo"))
            .Int(90, 7).Tag(91, 1).RawBytes(1, 2, 3, 4, 5, 6, 7, 8).Tag(92, 5).RawBytes(1, 2, 3, 4).String(93, "future")
            .Empty(2);

        JsonAssert.Equal("""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"foo","creationTimestamp":null},"spec":{}}""",
            KubeProtobuf.Decode(W.Envelope("v1", "Namespace", ns)));
    }

    [Fact]
    public void LastOccurrenceOfAScalarWinsAndAZeroValueFieldDropsOut()
    {
        var meta = new W().String(1, "first").String(1, "second").String(3, "ns").String(3, "");

        JsonAssert.Equal("""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"second"}}""",
            KubeProtobuf.Decode(W.Envelope("v1", "Namespace", new W().Message(1, meta))));
    }

    [Fact]
    public void EnvelopeWithContentTypeIsAccepted()
    {
        var unknown = new W().Message(1, t => t.String(1, "v1").String(2, "Namespace"))
            .Bytes(2, new W().Message(1, m => m.String(1, "foo")).ToArray())
            .String(3, "").String(4, "application/vnd.kubernetes.protobuf");

        JsonAssert.Equal("""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"foo"}}""",
            KubeProtobuf.Decode([0x6b, 0x38, 0x73, 0x00, .. unknown.ToArray()]));
    }

    public static TheoryData<string, byte[], string> Malformed()
    {
        byte[] magic = [0x6b, 0x38, 0x73, 0x00];
        var ns = (byte[] raw) => W.Envelope("v1", "Namespace", raw);
        const string notProtobuf = "provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]";
        const string asNamespace = "Namespace in version \"v1\" cannot be handled as a Namespace: ";
        var deep = new W().String(5, "object");
        for (var i = 0; i < 300; i++) deep = new W().Message(28, deep);
        var crd = W.Envelope("apiextensions.k8s.io/v1", "CustomResourceDefinition",
            new W().Message(2, s => s.Message(7, v => v.Message(4, c => c.Message(1, deep)))));
        return new TheoryData<string, byte[], string>
        {
            { "empty body", [], notProtobuf },
            { "JSON body", "{\"kind\":\"Namespace\"}"u8.ToArray(), notProtobuf },
            { "magic only", magic, "Object 'Kind' is missing in protobuf body" },
            { "truncated varint", [.. magic, 0x0a, 0x80], "unexpected EOF" },
            { "length beyond buffer", [.. magic, 0x0a, 0x10, 0x0a, 0x02], "unexpected EOF" },
            { "huge length", [.. magic, 0x12, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], "proto: negative length found during unmarshaling" },
            { "length just past int32", [.. magic, 0x12, 0x80, 0x80, 0x80, 0x80, 0x08], "proto: negative length found during unmarshaling" },
            { "overlong varint", [.. magic, 0x28, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], "proto: integer overflow" },
            { "unknown kind", W.Envelope("v1", "Frobnicator", []), "no kind \"Frobnicator\" is registered for version \"v1\" in scheme \"pkg/api/legacyscheme/scheme.go:30\"" },
            { "unknown group", W.Envelope("example.com/v1", "DeleteOptions", []), "no kind \"DeleteOptions\" is registered for version \"example.com/v1\" in scheme \"pkg/api/legacyscheme/scheme.go:30\"" },
            { "not a kind", W.Envelope("v1", "PodSpec", []), "no kind \"PodSpec\" is registered for version \"v1\" in scheme \"pkg/api/legacyscheme/scheme.go:30\"" },
            { "wrong wire type", ns([0x08, 0x01]), asNamespace + "proto: wrong wireType = 0 for field ObjectMeta" },
            { "wrong scalar wire type", ns([0x0a, 0x02, 0x08, 0x01]), asNamespace + "proto: wrong wireType = 0 for field Name" },
            { "truncated object", ns([0x0a, 0x05, 0x0a]), asNamespace + "unexpected EOF" },
            { "truncated nested string", ns([0x0a, 0x03, 0x0a, 0x05, 0x41]), asNamespace + "unexpected EOF" },
            { "field number zero", ns([0x00, 0x00]), asNamespace + "proto: Namespace: illegal tag 0 (wire type 0)" },
            { "group wire type", ns([0xcb, 0x05]), asNamespace + "proto: illegal wireType 3" },
            { "content encoding", [.. magic, .. new W().Message(1, t => t.String(1, "v1").String(2, "Namespace")).String(3, "gzip").ToArray()],
                "unsupported content encoding \"gzip\" in protobuf body" },
            { "content type", [.. magic, .. new W().Message(1, t => t.String(1, "v1").String(2, "Namespace")).String(4, "application/json").ToArray()],
                "unsupported content type \"application/json\" in protobuf body" },
            { "int-or-string type", W.Envelope("v1", "Service", new W().Message(2, s => s.Message(1, p => p.Message(4, t => t.Int(1, 2))))),
                "Service in version \"v1\" cannot be handled as a Service: impossible IntOrString.Type" },
            { "time out of range", ns(new W().Message(1, m => m.Message(8, t => t.Int(1, 253402300800))).ToArray()),
                asNamespace + "Time.MarshalJSON: year outside of range [0,9999]" },
            { "nan", W.Envelope("apiextensions.k8s.io/v1", "CustomResourceDefinition", new W().Message(2, s => s.Message(7, v => v.Message(4, c => c.Message(1, p => p.Double(9, double.NaN)))))),
                "CustomResourceDefinition in version \"v1\" cannot be handled as a CustomResourceDefinition: json: unsupported value: NaN" },
            { "too deep", crd, "CustomResourceDefinition in version \"v1\" cannot be handled as a CustomResourceDefinition: protobuf message nesting exceeds the maximum depth of 256" },
        };
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void MalformedBodiesAreBadRequests(string what, byte[] body, string message)
    {
        var error = Assert.Throws<StatusError>(() => KubeProtobuf.Decode(body));

        Assert.True(error.Code == 400, what);
        Assert.Equal("BadRequest", error.Reason);
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void InvalidJsonInARawExtensionIsABadRequest()
    {
        var body = W.Envelope("apps/v1", "ControllerRevision", new W().Message(2, r => r.Bytes(1, "{not json"u8.ToArray())));

        var error = Assert.Throws<StatusError>(() => KubeProtobuf.Decode(body));

        Assert.Equal(400, error.Code);
        Assert.StartsWith("ControllerRevision in version \"v1\" cannot be handled as a ControllerRevision: embedded object is not valid JSON: ", error.Message);
    }

    [Fact]
    public void EveryTruncationOfACapturedBodyIsABadRequestOrEndsOnAnEnvelopeField()
    {
        var body = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Protobuf", "deployment.pb"));
        var decodedPrefixes = new List<int>();
        for (var length = 0; length < body.Length; length++)
        {
            try
            {
                KubeProtobuf.Decode(body.AsSpan(0, length));
                decodedPrefixes.Add(length);
            }
            catch (StatusError e)
            {
                Assert.Equal(400, e.Code);
            }
        }
        // Only cuts right after the envelope's typeMeta, raw and contentEncoding fields leave a valid body.
        Assert.Equal([4 + 2 + body[5], body.Length - 4, body.Length - 2], decodedPrefixes);
    }
}
