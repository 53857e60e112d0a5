using Maas.Engine.Model;
using Microsoft.Extensions.Logging;

namespace Maas.Grains.Inference.Models;

/// <summary>
/// A model's load progress as the worker shows it: the load-progress gauge on every report, and a log line per tenth of
/// the checkpoint, so a long /health/ready wait shows where it is.
/// </summary>
public sealed partial class ModelLoadProgressReporter(string model, ILogger logger) : IProgress<ModelLoadProgress>
{
    private int _lastTenth = -1;

    public void Report(ModelLoadProgress value)
    {
        ReplicaMetrics.LoadProgress(model, value.Fraction);
        int tenth = (int)(value.Fraction * 10);
        if (tenth > _lastTenth)
        {
            _lastTenth = tenth;
            LogProgress(logger, model, 100 * value.Fraction, value.LoadedBytes / 1e9, value.TotalBytes / 1e9);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Loading model {Model}: {Percent:F0}% ({LoadedGigabytes:F1} of {TotalGigabytes:F1} GB)")]
    private static partial void LogProgress(ILogger logger, string model, double percent, double loadedGigabytes, double totalGigabytes);
}
