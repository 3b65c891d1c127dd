using Anvil.ApiServer.Endpoints;

namespace Anvil.ApiServer.Tests.Endpoints;

public sealed class OutputFormatTests
{
    [Theory]
    [InlineData("application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json", OutputShape.Table, false)]
    [InlineData("application/json", OutputShape.Object, false)]
    [InlineData("", OutputShape.Object, false)]
    [InlineData("*/*", OutputShape.Object, false)]
    [InlineData("application/yaml", OutputShape.Object, true)]
    [InlineData("application/vnd.kubernetes.protobuf,application/json", OutputShape.Object, false)]
    [InlineData("application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json", OutputShape.PartialObjectMetadata, false)]
    public void NegotiatesLikeKubeApiserver(string accept, OutputShape shape, bool yaml)
    {
        var format = OutputFormat.Parse(accept);
        Assert.NotNull(format);
        Assert.Equal(shape, format!.Shape);
        Assert.Equal(yaml, format.Yaml);
    }

    [Fact]
    public void ProtobufOnlyIsNotAcceptable() => Assert.Null(OutputFormat.Parse("application/vnd.kubernetes.protobuf"));
}
