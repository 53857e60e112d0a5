using System.Runtime.InteropServices;

namespace Maas.Engine.Weights;

/// <summary>A 64-byte aligned native array (zeroed unless the owner overwrites it all anyway), freed on Dispose.</summary>
internal sealed unsafe class NativeBuffer<T> : IDisposable
    where T : unmanaged
{
    public NativeBuffer(long length, bool zeroed = true)
    {
        Length = length;
        nuint bytes = (nuint)Math.Max(1, length * sizeof(T));
        Pointer = (T*)NativeMemory.AlignedAlloc(bytes, 64);
        if (zeroed)
        {
            NativeMemory.Clear(Pointer, bytes);
        }
    }

    ~NativeBuffer()
    {
        Free();
    }

    public T* Pointer { get; private set; }

    public long Length { get; }

    public Span<T> Span => new(Pointer, checked((int)Length));

    public Span<T> Slice(long start, int length) => new(Pointer + start, length);

    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    private void Free()
    {
        if (Pointer != null)
        {
            NativeMemory.AlignedFree(Pointer);
            Pointer = null;
        }
    }
}
