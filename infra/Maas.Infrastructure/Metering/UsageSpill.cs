using System.Globalization;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Maas.Infrastructure.Metering;

/// <summary>
/// The local, append-only spill for usage records PostgreSQL could not take. Records are appended as lines
/// "crc32-hex TAB json" to segment files (usage-{UTC time}-{n}.spill); an append returns only after the data is
/// fsync'd, so a record handed back as durable survives a crash. <see cref="SealSegments"/> closes the segment being
/// written, so the replayer reads finished files while new records go to a new one; a segment is deleted only after
/// every record in it was committed. A lock file keeps a second process off the same directory. A line torn by a crash
/// fails its checksum and is skipped (its append never returned, so no response counted on it).
/// </summary>
public sealed partial class UsageSpill : IDisposable
{
    public const string SegmentPattern = "usage-*.spill";
    private const string LockFileName = "spill.lock";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly TimeProvider _time;
    private readonly MeteringMetrics _metrics;
    private readonly ILogger _logger;
    private readonly FileStream _lock;
    private readonly SortedDictionary<string, long> _segments = new(StringComparer.Ordinal);
    private FileStream? _current;
    private string? _currentPath;
    private int _sequence;

    public UsageSpill(string directory, TimeProvider time, MeteringMetrics metrics, ILogger logger)
    {
        Directory = Path.GetFullPath(directory);
        _time = time;
        _metrics = metrics;
        _logger = logger;
        System.IO.Directory.CreateDirectory(Directory);
        try
        {
            // Advisory lock (flock) held while the process lives; the kernel drops it when the process dies.
            _lock = new FileStream(Path.Combine(Directory, LockFileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex)
        {
            throw new InvalidOperationException($"The metering spill directory {Directory} is in use by another process; give each process its own (Maas:Metering:SpillDirectory).", ex);
        }

        foreach (var file in System.IO.Directory.EnumerateFiles(Directory, SegmentPattern))
        {
            _segments[file] = new FileInfo(file).Length;
        }

        PublishState();
    }

    public string Directory { get; }

    /// <summary>True while any record waits in the spill.</summary>
    public bool HasRecords
    {
        get
        {
            lock (_segments)
            {
                return _segments.Values.Any(size => size > 0);
            }
        }
    }

    /// <summary>Appends the records and fsyncs them; returns once they are on disk.</summary>
    public async Task AppendAsync(IReadOnlyList<UsageRecord> records, CancellationToken cancellationToken)
    {
        var buffer = new MemoryStream();
        foreach (var record in records)
        {
            WriteLine(buffer, record);
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_current is null)
            {
                OpenSegment();
            }

            await _current!.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), CancellationToken.None);
            _current.Flush(flushToDisk: true);
            lock (_segments)
            {
                _segments[_currentPath!] = _current.Length;
            }
        }
        finally
        {
            _gate.Release();
        }

        _metrics.RecordsSpilled(records.Count);
        PublishState();
    }

    /// <summary>Closes the segment being appended to (the next append starts a new one) and lists every segment, oldest first.</summary>
    public async Task<IReadOnlyList<string>> SealSegmentsAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            CloseSegment();
            lock (_segments)
            {
                return [.. _segments.Keys];
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Reads a sealed segment: its intact records, and how many lines failed their checksum.</summary>
    public static (List<UsageRecord> Records, int CorruptLines) ReadSegment(string path)
    {
        var records = new List<UsageRecord>();
        var corrupt = 0;
        foreach (var line in File.ReadLines(path, Encoding.UTF8))
        {
            if (line.Length == 0)
            {
                continue;
            }

            if (TryParseLine(line, out var record))
            {
                records.Add(record);
            }
            else
            {
                corrupt++;
            }
        }

        return (records, corrupt);
    }

    /// <summary>Deletes a segment whose records are all committed.</summary>
    public void Delete(string path)
    {
        File.Delete(path);
        lock (_segments)
        {
            _segments.Remove(path);
        }

        PublishState();
    }

    /// <summary>Updates the spill gauges (the replayer calls it on every tick, so the oldest record's age keeps moving).</summary>
    public void PublishState()
    {
        long bytes;
        string? oldest;
        lock (_segments)
        {
            bytes = _segments.Values.Sum();
            oldest = _segments.FirstOrDefault(s => s.Value > 0).Key;
        }

        _metrics.SpillState(bytes, oldest is null ? null : _time.GetUtcNow() - CreatedAt(oldest));
    }

    public void Dispose()
    {
        CloseSegment();
        _lock.Dispose();
        _gate.Dispose();
    }

    /// <summary>"crc TAB json": the CRC-32 of the JSON's UTF-8 bytes in 8 hex digits.</summary>
    public static void WriteLine(Stream stream, UsageRecord record)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(record, MeteringJsonContext.Default.UsageRecord);
        var crc = Checksum(json);
        Span<byte> prefix = stackalloc byte[9];
        Encoding.ASCII.GetBytes(crc.ToString("x8", CultureInfo.InvariantCulture), prefix);
        prefix[8] = (byte)'\t';
        stream.Write(prefix);
        stream.Write(json);
        stream.WriteByte((byte)'\n');
    }

    public static bool TryParseLine(string line, out UsageRecord record)
    {
        record = null!;
        if (line.Length < 10 || line[8] != '\t' || !uint.TryParse(line.AsSpan(0, 8), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var crc))
        {
            return false;
        }

        var json = Encoding.UTF8.GetBytes(line[9..]);
        if (Checksum(json) != crc)
        {
            return false;
        }

        try
        {
            record = JsonSerializer.Deserialize(json, MeteringJsonContext.Default.UsageRecord)!;
            return record is not null;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static uint Checksum(ReadOnlySpan<byte> data) => Crc32.HashToUInt32(data);

    private void OpenSegment()
    {
        var now = _time.GetUtcNow().UtcDateTime;
        do
        {
            _currentPath = Path.Combine(Directory, $"usage-{now:yyyyMMdd'T'HHmmssfff'Z'}-{++_sequence:D6}.spill");
        }
        while (File.Exists(_currentPath));

        _current = new FileStream(_currentPath, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.Read,
            Options = FileOptions.None,
        });
        lock (_segments)
        {
            _segments[_currentPath] = 0;
        }

        // The new file's directory entry must be durable too, or a crash could lose a whole fsync'd segment.
        DirectorySync.Flush(Directory);
        LogSegmentOpened(_logger, _currentPath);
    }

    private void CloseSegment()
    {
        if (_current is null)
        {
            return;
        }

        _current.Dispose();
        lock (_segments)
        {
            if (_segments.TryGetValue(_currentPath!, out var size) && size == 0)
            {
                File.Delete(_currentPath!);
                _segments.Remove(_currentPath!);
            }
        }

        _current = null;
        _currentPath = null;
    }

    /// <summary>The creation time in a segment's name (usage-20261206T074358123Z-000001.spill).</summary>
    private static DateTimeOffset CreatedAt(string path)
    {
        var name = Path.GetFileNameWithoutExtension(path);
        return name.Length >= 25 && DateTimeOffset.TryParseExact(name.AsSpan(6, 19), "yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? at
            : new DateTimeOffset(File.GetCreationTimeUtc(path), TimeSpan.Zero);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "PostgreSQL did not take usage records; spilling them to {Path}")]
    private static partial void LogSegmentOpened(ILogger logger, string path);
}
