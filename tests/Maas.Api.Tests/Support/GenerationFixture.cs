namespace Maas.Api.Tests.Support;

/// <summary>
/// The api host plus a real worker process serving the MAAS_TEST_MODEL checkpoint as "test-model".
/// Starts nothing when MAAS_TEST_MODEL is unset (the tests are skipped then).
/// </summary>
public sealed class GenerationFixture : IAsyncLifetime
{
    public const string Model = "test-model";

    private ApiHost? _api;
    private WorkerProcess? _worker;

    public ApiHost Api => _api ?? throw new InvalidOperationException("MAAS_TEST_MODEL is not set.");

    public WorkerProcess Worker => _worker ?? throw new InvalidOperationException("MAAS_TEST_MODEL is not set.");

    public async Task InitializeAsync()
    {
        if (ModelFactAttribute.ModelPath is not { Length: > 0 } path)
        {
            return;
        }

        _api = await ApiHost.StartAsync([(Model, path)]);
        _worker = await WorkerProcess.StartAsync(_api, Model, path, TimeSpan.FromMinutes(5));
    }

    public async Task DisposeAsync()
    {
        if (_worker is not null)
        {
            await _worker.DisposeAsync();
        }

        if (_api is not null)
        {
            await _api.DisposeAsync();
        }
    }
}
