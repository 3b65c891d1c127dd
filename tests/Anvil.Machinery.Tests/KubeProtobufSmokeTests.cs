using Anvil.Machinery.Protobuf;
namespace Anvil.Machinery.Tests;
public sealed class KubeProtobufSmokeTests
{
    [Fact]
    public void Dump()
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "Fixtures", "Protobuf");
        var sb = new System.Text.StringBuilder();
        foreach (var f in Directory.GetFiles(dir, "*.pb").Order())
        {
            try { sb.AppendLine(Path.GetFileName(f) + " " + KubeProtobuf.Decode(File.ReadAllBytes(f)).ToJsonString()); }
            catch (Exception e) { sb.AppendLine(Path.GetFileName(f) + " ERR " + e.Message); }
        }
        sb.AppendLine("unmatched: " + string.Join(", ", ProtoSchema.Default.UnmatchedPointerEntries));
        File.WriteAllText("/tmp/pbcap/dump.txt", sb.ToString());
    }
}
