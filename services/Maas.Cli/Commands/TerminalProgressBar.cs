using System.Diagnostics;
using Maas.Engine.Model;

namespace Maas.Cli.Commands;

/// <summary>
/// Progress of a terminal command's long step (loading a model, writing a checkpoint) on stderr, so stdout stays the
/// command's output: a bar redrawn in place on a terminal, a line per tenth when stderr is redirected (scripts, logs).
/// </summary>
public sealed class TerminalProgressBar : IProgress<ModelLoadProgress>, IProgress<double>
{
    private const int Width = 30;
    private static readonly long RedrawTicks = Stopwatch.Frequency / 10;

    private readonly string _label;
    private readonly TextWriter _writer;
    private readonly bool _inPlace;
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private readonly Lock _lock = new();
    private long _lastDraw = long.MinValue;
    private int _lastTenth = -1;
    private bool _finished;

    /// <param name="label">What is progressing ("loading model").</param>
    /// <param name="writer">Where to draw: the command's error writer (stderr unless a test captures it).</param>
    public TerminalProgressBar(string label, TextWriter writer)
    {
        _label = label;
        _writer = writer;
        _inPlace = ReferenceEquals(writer, Console.Error) && !Console.IsErrorRedirected;
    }

    /// <summary>A bar on the invocation's error writer.</summary>
    public static TerminalProgressBar For(System.CommandLine.ParseResult parseResult, string label) =>
        new(label, parseResult.InvocationConfiguration.Error);

    public void Report(ModelLoadProgress value) =>
        Draw(value.Fraction, $"{value.LoadedBytes / 1e9:F1}/{value.TotalBytes / 1e9:F1} GB", value.Done);

    public void Report(double value) => Draw(Math.Clamp(value, 0, 1), null, value >= 1);

    private void Draw(double fraction, string? detail, bool done)
    {
        lock (_lock)
        {
            if (_finished)
            {
                return;
            }

            long now = Stopwatch.GetTimestamp();
            int tenth = (int)(fraction * 10);
            bool due = _inPlace ? now - _lastDraw >= RedrawTicks : tenth > _lastTenth;
            if (!due && !(done && _inPlace))
            {
                // A line per tenth when redirected: the final report repeats 100% only if it was not printed yet.
                _finished = done;
                return;
            }

            _lastDraw = now;
            _lastTenth = tenth;
            string text = $"{_label} {100 * fraction,3:F0}%{(detail is null ? string.Empty : " " + detail)} {_watch.Elapsed.TotalSeconds:F0} s";
            if (_inPlace)
            {
                int filled = (int)(fraction * Width);
                _writer.Write($"\r[{new string('#', filled)}{new string('.', Width - filled)}] {text}");
                if (done)
                {
                    _writer.WriteLine();
                }
            }
            else
            {
                _writer.WriteLine(text);
            }

            _writer.Flush();
            _finished = done;
        }
    }
}
