using Anvil.Machinery.Scheduling;

namespace Anvil.Machinery.Tests;

public sealed class CronScheduleTests
{
    private static CronSchedule Parse(string spec, string zone = "UTC")
    {
        Assert.True(CronSchedule.TryParse(spec, CronSchedule.FindZone(zone)!, out var s, out var err), err);
        return s;
    }

    [Theory]
    [InlineData("*/1 * * * *", "2024-05-01T10:00:30Z", "2024-05-01T10:01:00Z")]
    [InlineData("*/1 * * * *", "2024-05-01T10:01:00Z", "2024-05-01T10:02:00Z")]
    [InlineData("*/15 * * * *", "2024-05-01T10:16:00Z", "2024-05-01T10:30:00Z")]
    [InlineData("0 3 * * *", "2024-05-01T10:00:00Z", "2024-05-02T03:00:00Z")]
    [InlineData("30 6-16/4 * * 1-5", "2024-05-03T15:00:00Z", "2024-05-06T06:30:00Z")] // Friday 15:00 → Monday
    [InlineData("0 0 1 jan *", "2024-05-01T00:00:00Z", "2025-01-01T00:00:00Z")]
    [InlineData("0 0 13 * fri", "2024-05-01T00:00:00Z", "2024-05-03T00:00:00Z")] // both day fields restricted: either matches
    [InlineData("0 0 * * sun", "2024-05-01T00:00:00Z", "2024-05-05T00:00:00Z")]
    [InlineData("0 0 29 2 *", "2024-03-01T00:00:00Z", "2028-02-29T00:00:00Z")]
    [InlineData("@hourly", "2024-05-01T10:20:00Z", "2024-05-01T11:00:00Z")]
    [InlineData("@daily", "2024-05-01T10:20:00Z", "2024-05-02T00:00:00Z")]
    [InlineData("@weekly", "2024-05-01T10:20:00Z", "2024-05-05T00:00:00Z")]
    [InlineData("@monthly", "2024-05-01T10:20:00Z", "2024-06-01T00:00:00Z")]
    [InlineData("@yearly", "2024-05-01T10:20:00Z", "2025-01-01T00:00:00Z")]
    [InlineData("@every 90s", "2024-05-01T10:20:00.5Z", "2024-05-01T10:21:30Z")]
    [InlineData("TZ=Europe/Berlin 0 9 * * *", "2024-05-01T10:00:00Z", "2024-05-02T07:00:00Z")] // 09:00 CEST
    public void NextIsTheFirstMatchingTimeAfter(string spec, string after, string expected)
    {
        Assert.Equal(DateTimeOffset.Parse(expected), Parse(spec).Next(DateTimeOffset.Parse(after)));
    }

    [Theory]
    // Europe/Berlin springs forward at 02:00 → 03:00 on 2024-03-31 and falls back 03:00 → 02:00 on 2024-10-27.
    [InlineData("30 2 * * *", "2024-03-30T12:00:00Z", "2024-04-01T00:30:00Z")] // 02:30 does not exist on the 31st
    [InlineData("30 2 * * *", "2024-10-26T12:00:00Z", "2024-10-27T00:30:00Z")] // the first 02:30 (CEST)
    [InlineData("30 2 * * *", "2024-10-27T00:30:00Z", "2024-10-27T01:30:00Z")] // then the second (CET)
    public void DaylightSavingTransitionsInTheScheduleZone(string spec, string after, string expected)
    {
        Assert.Equal(DateTimeOffset.Parse(expected), Parse(spec, "Europe/Berlin").Next(DateTimeOffset.Parse(after)));
    }

    [Fact]
    public void ImpossibleDateNeverFires() => Assert.Equal(DateTimeOffset.MinValue, Parse("0 0 30 2 *").Next(DateTimeOffset.Parse("2024-01-01T00:00:00Z")));

    [Theory]
    [InlineData("", "empty spec string")]
    [InlineData("* * * *", "expected exactly 5 fields, found 4: [* * * *]")]
    [InlineData("60 * * * *", "end of range (60) above maximum (59): 60")]
    [InlineData("* * 0 * *", "beginning of range (0) below minimum (1): 0")]
    [InlineData("5-2 * * * *", "beginning of range (5) beyond end of range (2): 5-2")]
    [InlineData("*/0 * * * *", "step of range should be a positive number: */0")]
    [InlineData("x * * * *", "failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax")]
    [InlineData("@fortnightly", "unrecognized descriptor: @fortnightly")]
    [InlineData("@every 5x", "failed to parse duration @every 5x: time: invalid duration \"5x\"")]
    [InlineData("TZ=Mars/Olympus * * * * *", "provided bad location Mars/Olympus: unknown time zone Mars/Olympus")]
    public void InvalidSchedulesGiveRobfigsMessages(string spec, string message)
    {
        Assert.Equal(message, CronSchedule.Validate(spec));
    }

    [Theory]
    [InlineData("1h30m", 5400)]
    [InlineData("1.5h", 5400)]
    [InlineData("90s", 90)]
    [InlineData("0", 0)]
    [InlineData("-2m", -120)]
    public void GoDurations(string text, int seconds)
    {
        Assert.True(GoDurationParser.TryParse(text, out var d));
        Assert.Equal(TimeSpan.FromSeconds(seconds), d);
    }
}
