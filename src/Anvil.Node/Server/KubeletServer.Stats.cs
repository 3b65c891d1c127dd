using System.Text;
using Anvil.Node.Stats;
using Microsoft.AspNetCore.Http;

namespace Anvil.Node.Server;

public sealed partial class KubeletServer
{
    /// <summary>GET /stats/summary: the Summary API document from the node's <see cref="StatsCollector"/>.</summary>
    private async Task SummaryAsync(HttpContext ctx, StatsCollector stats)
    {
        var summary = await stats.SummaryAsync(RequestToken(ctx)).ConfigureAwait(false);
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "application/json";
        await ctx.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(SummaryApi.Render(_agent.NodeName, summary).ToJsonString())).ConfigureAwait(false);
    }
}
