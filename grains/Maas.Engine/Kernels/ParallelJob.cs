namespace Maas.Engine.Kernels;

/// <summary>A unit of parallel work split into chunks; subclasses are preallocated so dispatch does not allocate.</summary>
internal abstract class ParallelJob
{
    /// <param name="chunk">Which chunk to run (0..chunks-1).</param>
    /// <param name="thread">The executing compute thread (0 = the caller), for per-thread scratch.</param>
    public abstract void Execute(int chunk, int thread);
}
