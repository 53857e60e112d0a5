using System.Runtime.InteropServices;
using Maas.Checkpoints;
using Maas.Engine.Checkpoints;
using Maas.Engine.Model;

namespace Maas.Engine.Weights;

/// <summary>Turns checkpoint tensors into in-memory weights of the requested precision (validated first).</summary>
internal sealed unsafe class WeightLoader
{
    private readonly Checkpoint _checkpoint;
    private readonly WeightPrecision _precision;
    private readonly IProgress<ModelLoadProgress>? _progress;
    private readonly long _totalBytes;
    private long _loadedBytes;
    private int _loadedTensors;

    public WeightLoader(Checkpoint checkpoint, WeightPrecision precision, IProgress<ModelLoadProgress>? progress = null)
    {
        _checkpoint = checkpoint;
        _precision = precision;
        _progress = progress;
        _totalBytes = progress is null ? 0 : checkpoint.TotalBytes;
    }

    /// <summary>Reports the final state once the caller has built everything it needs from the checkpoint.</summary>
    public void ReportDone() =>
        _progress?.Report(new ModelLoadProgress(_totalBytes, _totalBytes, _loadedTensors, _checkpoint.TensorCount, Done: true));

    private void Loaded(SafetensorsTensor tensor, SafetensorsTensor? scales)
    {
        if (_progress is null)
        {
            return;
        }

        _loadedBytes += tensor.ByteLength + (scales?.ByteLength ?? 0);
        _loadedTensors += scales is null ? 1 : 2;
        _progress.Report(new ModelLoadProgress(Math.Min(_loadedBytes, _totalBytes), _totalBytes, _loadedTensors, _checkpoint.TensorCount, Done: false));
    }

    public Checkpoint Checkpoint => _checkpoint;

    public WeightPrecision Precision => _precision;

    /// <summary>Elements of every tensor loaded so far (the model's parameter count).</summary>
    public long LoadedParameters { get; private set; }

    /// <summary>A linear weight [rows, cols] in the configured precision.</summary>
    public WeightMatrix Matrix(string name, int rows, int cols) => Matrix(name, rows, cols, _precision);

    /// <summary>A linear weight forced to f32 (router, small precomputed slices).</summary>
    public WeightMatrix MatrixF32(string name, int rows, int cols) => Matrix(name, rows, cols, WeightPrecision.F32);

    public WeightMatrix Matrix(string name, int rows, int cols, WeightPrecision precision)
    {
        SafetensorsTensor tensor = _checkpoint.RequireMatrix(name, rows, cols);
        SafetensorsTensor? scales = _checkpoint.ScalesFor(tensor, rows, cols);
        LoadedParameters += (long)rows * cols;
        WeightFormat format = precision switch
        {
            WeightPrecision.F32 => WeightFormat.F32,
            WeightPrecision.Bf16 => WeightFormat.Bf16,
            WeightPrecision.Fp8 => WeightFormat.Fp8Block128,
            WeightPrecision.Q8 => WeightFormat.Q8Block128,
            WeightPrecision.Native => tensor.Dtype switch
            {
                SafetensorsDtype.BF16 => WeightFormat.Bf16,
                SafetensorsDtype.F8E4M3 => WeightFormat.Fp8Block128,
                _ => WeightFormat.F32,
            },
            _ => throw new NotSupportedException($"weight precision {precision} is not implemented"),
        };

        var matrix = new WeightMatrix(rows, cols, format);
        switch (format)
        {
            case WeightFormat.F32:
                FillF32(tensor, scales, matrix);
                break;
            case WeightFormat.Bf16:
                FillBf16(tensor, scales, matrix);
                break;
            case WeightFormat.Fp8Block128:
                FillFp8(tensor, scales, matrix);
                break;
            case WeightFormat.Q8Block128:
                FillQ8(tensor, scales, matrix);
                break;
        }

        Loaded(tensor, scales);
        return matrix;
    }

    /// <summary>A small vector (norm weights, biases) as f32, on the pinned object heap so kernels may take its address.</summary>
    public float[] Vector(string name, int length)
    {
        SafetensorsTensor tensor = _checkpoint.RequireVector(name, length);
        float[] values = GC.AllocateArray<float>(length, pinned: true);
        LoadedParameters += length;
        ReadRow(tensor, null, 0, length, values);
        Loaded(tensor, null);
        return values;
    }

    /// <summary>Row <paramref name="row"/> of a [rows, cols] tensor, converted to f32 (FP8 with its block scale).</summary>
    internal static void ReadRow(SafetensorsTensor tensor, SafetensorsTensor? scales, int row, int cols, Span<float> target)
    {
        long start = (long)row * cols;
        switch (tensor.Dtype)
        {
            case SafetensorsDtype.F32:
                new ReadOnlySpan<float>((float*)tensor.Data + start, cols).CopyTo(target);
                break;
            case SafetensorsDtype.BF16:
                {
                    ushort* p = (ushort*)tensor.Data + start;
                    for (int c = 0; c < cols; c++)
                    {
                        target[c] = Bf16.Decode(p[c]);
                    }

                    break;
                }

            case SafetensorsDtype.F16:
                {
                    Half* p = (Half*)tensor.Data + start;
                    for (int c = 0; c < cols; c++)
                    {
                        target[c] = (float)p[c];
                    }

                    break;
                }

            case SafetensorsDtype.F8E4M3:
                {
                    byte* p = tensor.Data + start;
                    float* s = (float*)scales!.Value.Data;
                    int scaleCols = (cols + WeightMatrix.Fp8BlockSize - 1) / WeightMatrix.Fp8BlockSize;
                    float* scaleRow = s + (row / WeightMatrix.Fp8BlockSize) * scaleCols;
                    for (int c = 0; c < cols; c++)
                    {
                        target[c] = Fp8E4M3.Decode(p[c]) * scaleRow[c / WeightMatrix.Fp8BlockSize];
                    }

                    break;
                }

            default:
                throw new CheckpointException($"tensor '{tensor.Name}' has dtype {tensor.DtypeName}; expected F32, BF16, F16 or F8_E4M3");
        }
    }

    private static void FillF32(SafetensorsTensor tensor, SafetensorsTensor? scales, WeightMatrix matrix)
    {
        float* target = (float*)matrix.Data;
        for (int r = 0; r < matrix.Rows; r++)
        {
            ReadRow(tensor, scales, r, matrix.Cols, new Span<float>(target + (long)r * matrix.Cols, matrix.Cols));
        }
    }

    private static void FillBf16(SafetensorsTensor tensor, SafetensorsTensor? scales, WeightMatrix matrix)
    {
        if (tensor.Dtype == SafetensorsDtype.BF16)
        {
            NativeMemory.Copy(tensor.Data, matrix.Data, (nuint)tensor.ByteLength);
            return;
        }

        var row = new float[matrix.Cols];
        ushort* target = (ushort*)matrix.Data;
        for (int r = 0; r < matrix.Rows; r++)
        {
            ReadRow(tensor, scales, r, matrix.Cols, row);
            ushort* t = target + (long)r * matrix.Cols;
            for (int c = 0; c < matrix.Cols; c++)
            {
                t[c] = Bf16.Encode(row[c]);
            }
        }
    }

    /// <summary>
    /// Quantizes whatever the checkpoint holds (F32, BF16, F16 or dequantized FP8) row by row; rows are
    /// independent, so load-time quantization runs on every core (it took ~35 s single-threaded for V2-Lite).
    /// </summary>
    private static void FillQ8(SafetensorsTensor tensor, SafetensorsTensor? scales, WeightMatrix matrix)
    {
        const int rowsPerChunk = 64;
        int chunks = (matrix.Rows + rowsPerChunk - 1) / rowsPerChunk;
        Parallel.For(0, chunks, () => new float[matrix.Cols], (chunk, _, row) =>
        {
            fixed (float* r = row)
            {
                int last = Math.Min(matrix.Rows, (chunk + 1) * rowsPerChunk);
                for (int o = chunk * rowsPerChunk; o < last; o++)
                {
                    ReadRow(tensor, scales, o, matrix.Cols, row);
                    matrix.QuantizeQ8Row(o, r);
                }
            }

            return row;
        }, _ => { });
    }

    private static void FillFp8(SafetensorsTensor tensor, SafetensorsTensor? scales, WeightMatrix matrix)
    {
        if (tensor.Dtype == SafetensorsDtype.F8E4M3)
        {
            NativeMemory.Copy(tensor.Data, matrix.Data, (nuint)tensor.ByteLength);
            NativeMemory.Copy(scales!.Value.Data, matrix.Scales, (nuint)scales.Value.ByteLength);
            return;
        }

        Fp8BlockQuantizer.Quantize(matrix.Rows, matrix.Cols, (r, row) => ReadRow(tensor, scales, r, matrix.Cols, row), matrix.Data, matrix.Scales);
    }
}
