using System.IO.MemoryMappedFiles;
using System.Text.Json;
using Maas.Checkpoints;

namespace Maas.Engine.Checkpoints;

/// <summary>A memory-mapped .safetensors file: 8-byte header length, JSON header, raw tensor bytes.</summary>
public sealed unsafe class SafetensorsFile : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly Dictionary<string, SafetensorsTensor> _tensors = new(StringComparer.Ordinal);
    private bool _disposed;

    private SafetensorsFile(string path, MemoryMappedFile map, MemoryMappedViewAccessor view, byte* basePointer)
    {
        Path = path;
        _map = map;
        _view = view;
        _base = basePointer;
    }

    public string Path { get; }

    public IReadOnlyDictionary<string, string> Metadata { get; private set; } = new Dictionary<string, string>();

    public IEnumerable<string> TensorNames => _tensors.Keys;

    public static SafetensorsFile Open(string path)
    {
        if (!File.Exists(path))
        {
            throw new CheckpointException($"{path}: file not found");
        }

        long length;
        try
        {
            length = new FileInfo(path).Length;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException($"{path}: cannot read: {e.Message}", e);
        }

        if (length < 8)
        {
            throw new CheckpointException($"{path}: truncated safetensors file ({length} bytes, the header length alone takes 8)");
        }

        MemoryMappedFile map;
        MemoryMappedViewAccessor view;
        try
        {
            map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException($"{path}: cannot map the file: {e.Message}", e);
        }

        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        pointer += view.PointerOffset;
        var file = new SafetensorsFile(path, map, view, pointer);
        try
        {
            file.ParseHeader(length);
        }
        catch
        {
            file.Dispose();
            throw;
        }

        return file;
    }

    public bool TryGet(string name, out SafetensorsTensor tensor) => _tensors.TryGetValue(name, out tensor);

    private void ParseHeader(long fileLength)
    {
        ulong headerLength = *(ulong*)_base;
        if (headerLength == 0 || headerLength > (ulong)(fileLength - 8))
        {
            throw new CheckpointException(
                $"{Path}: corrupt safetensors header: header length {headerLength} does not fit in a file of {fileLength} bytes");
        }

        long dataStart = 8 + (long)headerLength;
        long dataLength = fileLength - dataStart;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(new ReadOnlyMemory<byte>(new ReadOnlySpan<byte>(_base + 8, (int)headerLength).ToArray()));
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{Path}: corrupt safetensors header: not valid JSON ({e.Message})", e);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new CheckpointException($"{Path}: corrupt safetensors header: the header must be a JSON object");
            }

            foreach (JsonProperty property in document.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    var metadata = new Dictionary<string, string>();
                    if (property.Value.ValueKind == JsonValueKind.Object)
                    {
                        foreach (JsonProperty m in property.Value.EnumerateObject())
                        {
                            metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : m.Value.GetRawText();
                        }
                    }

                    Metadata = metadata;
                    continue;
                }

                _tensors[property.Name] = ParseEntry(property.Name, property.Value, dataStart, dataLength);
            }
        }
    }

    private SafetensorsTensor ParseEntry(string name, JsonElement entry, long dataStart, long dataLength)
    {
        if (entry.ValueKind != JsonValueKind.Object
            || !entry.TryGetProperty("dtype", out JsonElement dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String
            || !entry.TryGetProperty("shape", out JsonElement shapeElement) || shapeElement.ValueKind != JsonValueKind.Array
            || !entry.TryGetProperty("data_offsets", out JsonElement offsetsElement) || offsetsElement.ValueKind != JsonValueKind.Array
            || offsetsElement.GetArrayLength() != 2)
        {
            throw new CheckpointException($"{Path}: corrupt safetensors header: tensor '{name}' needs dtype, shape and data_offsets [begin, end]");
        }

        string dtypeName = dtypeElement.GetString()!;
        (SafetensorsDtype dtype, int elementSize) = SafetensorsTensor.ParseDtype(dtypeName);
        var shape = new long[shapeElement.GetArrayLength()];
        long count = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (!shapeElement[i].TryGetInt64(out shape[i]) || shape[i] < 0)
            {
                throw new CheckpointException($"{Path}: corrupt safetensors header: tensor '{name}' has an invalid shape");
            }

            count *= shape[i];
        }

        if (!offsetsElement[0].TryGetInt64(out long begin) || !offsetsElement[1].TryGetInt64(out long end)
            || begin < 0 || end < begin || end > dataLength)
        {
            throw new CheckpointException(
                $"{Path}: corrupt safetensors header: tensor '{name}' has data_offsets outside the {dataLength} data bytes (file truncated?)");
        }

        if (elementSize > 0 && end - begin != count * elementSize)
        {
            throw new CheckpointException(
                $"{Path}: corrupt safetensors header: tensor '{name}' ({dtypeName} [{string.Join(", ", shape)}]) needs {count * elementSize} bytes but data_offsets span {end - begin}");
        }

        return new SafetensorsTensor(name, dtype, dtypeName, shape, _base + dataStart + begin, end - begin);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
