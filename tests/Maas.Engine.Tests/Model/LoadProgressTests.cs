using Maas.Engine.Model;
using Maas.Engine.Tests.TestSupport;
using Xunit;

namespace Maas.Engine.Tests.Model;

/// <summary>ModelLoadOptions.Progress hears about every tensor as it is read and once when the model is ready.</summary>
public sealed class LoadProgressTests
{
    [Theory]
    [InlineData(WeightPrecision.Native)]
    [InlineData(WeightPrecision.Q8)]
    public void Load_reports_growing_progress_then_done(WeightPrecision precision)
    {
        GoldenFolder golden = GoldenFolder.Load(GoldenFolder.All()[0]);
        var reports = new RecordingProgress();
        using DeepseekModel model = DeepseekModel.Load(golden.Path, new ModelLoadOptions { Weights = precision, Threads = 1, Progress = reports });

        Assert.True(reports.Items.Count > model.Config.NumHiddenLayers, $"{reports.Items.Count} reports");
        ModelLoadProgress last = reports.Items[^1];
        Assert.True(last.Done);
        Assert.Equal(1.0, last.Fraction);
        Assert.Equal(last.TotalTensors, last.LoadedTensors);
        Assert.Single(reports.Items, r => r.Done);
        for (int i = 1; i < reports.Items.Count; i++)
        {
            // Every tensor read advances; the final report may only repeat the total.
            bool advanced = reports.Items[i].Done ? reports.Items[i].LoadedBytes >= reports.Items[i - 1].LoadedBytes : reports.Items[i].LoadedBytes > reports.Items[i - 1].LoadedBytes;
            Assert.True(advanced, $"report {i} did not advance");
            Assert.Equal(reports.Items[0].TotalBytes, reports.Items[i].TotalBytes);
        }

        Assert.InRange(reports.Items[0].Fraction, 0, 0.5);
    }

    /// <summary>Records synchronously (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class RecordingProgress : IProgress<ModelLoadProgress>
    {
        public List<ModelLoadProgress> Items { get; } = [];

        public void Report(ModelLoadProgress value) => Items.Add(value);
    }
}
