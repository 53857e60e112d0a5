using System.Text;
using Maas.Tokenization;
using Xunit;

namespace Maas.Tokenization.Tests;

public sealed class StopSequenceMatcherTests
{
    /// <summary>Feeds chunks until stopped; returns everything released plus the flush if never stopped.</summary>
    private static (string Text, bool Stopped) Run(StopSequenceMatcher matcher, params string[] chunks)
    {
        var output = new StringBuilder();
        foreach (string chunk in chunks)
        {
            output.Append(matcher.Process(chunk));
            if (matcher.Stopped)
            {
                return (output.ToString(), true);
            }
        }

        output.Append(matcher.Flush());
        return (output.ToString(), false);
    }

    [Fact]
    public void Stop_string_spanning_chunks_is_cut_and_not_emitted()
    {
        var matcher = new StopSequenceMatcher(["END"]);

        (string text, bool stopped) = Run(matcher, "alpha E", "N", "D trailing");

        Assert.True(stopped);
        Assert.Equal("alpha ", text);
        Assert.Equal("END", matcher.MatchedStop);
    }

    [Fact]
    public void Possible_stop_prefix_is_held_then_released_when_it_diverges()
    {
        var matcher = new StopSequenceMatcher(["END"]);

        Assert.Equal("alpha ", matcher.Process("alpha EN").ToString());
        Assert.Equal(2, matcher.HeldLength);
        Assert.Equal("ENx", matcher.Process("x").ToString());
        Assert.Equal(0, matcher.HeldLength);
        Assert.False(matcher.Stopped);
    }

    [Fact]
    public void Earliest_of_several_stops_wins()
    {
        var matcher = new StopSequenceMatcher(["\n\n", "Observation:", "###"]);

        (string text, bool stopped) = Run(matcher, "step one ##", "# Observation:", " more\n\n");

        Assert.True(stopped);
        Assert.Equal("step one ", text);
        Assert.Equal("###", matcher.MatchedStop);
    }

    [Fact]
    public void Overlapping_stop_prefixes_are_held_for_the_longest_possibility()
    {
        var matcher = new StopSequenceMatcher(["abcd", "bce"]);

        (string text, bool stopped) = Run(matcher, "xab", "c", "e!");

        Assert.True(stopped);
        Assert.Equal("xa", text);
        Assert.Equal("bce", matcher.MatchedStop);
    }

    [Fact]
    public void Without_a_match_everything_is_released_by_the_end()
    {
        var matcher = new StopSequenceMatcher(["STOP"]);

        (string text, bool stopped) = Run(matcher, "no st", "op here S", "T");

        Assert.False(stopped);
        Assert.Equal("no stop here ST", text);
    }

    [Fact]
    public void Nothing_is_emitted_after_the_stop()
    {
        var matcher = new StopSequenceMatcher(["x"]);
        Assert.Equal("a", matcher.Process("axb").ToString());

        Assert.Equal(0, matcher.Process("more").Length);
        Assert.Equal(0, matcher.Flush().Length);
    }

    [Fact]
    public void No_stops_passes_text_through_and_empty_stops_are_ignored()
    {
        var matcher = new StopSequenceMatcher(["", ""]);

        Assert.Equal("anything", matcher.Process("anything").ToString());
        Assert.False(matcher.Stopped);
    }

    [Fact]
    public void Long_chunks_grow_the_buffers()
    {
        var matcher = new StopSequenceMatcher(["<stop>"]);
        string big = new('a', 10_000);

        (string text, bool stopped) = Run(matcher, big + "<st", "op>");

        Assert.True(stopped);
        Assert.Equal(big, text);
    }
}
