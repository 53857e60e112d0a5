namespace Maas.Testing;

/// <summary>Disposes what a fixture started, in the order given (e.g. a worker process before the silo it joined).</summary>
public static class AsyncDisposal
{
    public static async Task InOrderAsync(params IAsyncDisposable?[] resources)
    {
        foreach (var resource in resources)
        {
            if (resource is not null)
            {
                await resource.DisposeAsync();
            }
        }
    }
}
