using Maas.Engine.Weights;

namespace Maas.Engine.Kernels;

/// <summary><see cref="Q8Kernels"/> as plain loops (<see cref="ScalarKernels.DotQ8(byte*, float*, sbyte*, float*, int*, int, int)"/>).</summary>
internal sealed unsafe class Q8ScalarKernels : Q8Kernels
{
    public static readonly Q8ScalarKernels Instance = new();

    private Q8ScalarKernels()
    {
    }

    public override string Path => "scalar";

    public override bool UnsignedActivations => true;

    public override void DotTile(int tokens, byte* a, int aStride, float* aScales, int aScaleStride, int blocks, sbyte* tile, float* tileScales, int* tileOffsets, float* y, int yStride, bool accumulate, long prefetch)
    {
        for (int t = 0; t < tokens; t++)
        {
            for (int r = 0; r < Q8BlockQuantizer.TileRows; r++)
            {
                float sum = ScalarKernels.DotQ8(a + (long)t * aStride, aScales + (long)t * aScaleStride, tile, tileScales, tileOffsets, r, blocks);
                float* target = y + (long)t * yStride + r;
                *target = accumulate ? *target + sum : sum;
            }
        }
    }
}
