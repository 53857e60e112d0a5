using Maas.Infrastructure.FineTunes;
using Maas.Infrastructure.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Maas.Generation.FineTunes;

/// <summary>
/// The api's view of tenant fine-tunes: the <see cref="FineTuneStore"/> over the configured artifact root
/// ("Maas:FineTunes"), and lookups of a tenant's fine-tune by model name in PostgreSQL (one indexed query per request,
/// so a delete or a new version applies to the next request). Unloading a deleted fine-tune from the workers is the api's
/// (<c>FineTuneUnloader</c>): it needs the cluster's silo metadata.
/// </summary>
public sealed class FineTuneDirectory(IServiceScopeFactory scopes, IOptions<FineTuneOptions> options, IHostEnvironment environment, TimeProvider time)
{
    public FineTuneOptions Options { get; } = options.Value;

    public FineTuneStore Store { get; } = new(options.Value.ResolveArtifactRoot(environment.ContentRootPath), time);

    /// <summary>The latest live version of the tenant's fine-tune named <paramref name="model"/>, or null (unknown, deleted, another tenant's).</summary>
    public async Task<FineTune?> FindAsync(string tenantId, string model, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<MaasDbContext>();
        return await FineTuneStore.FindAsync(db, tenantId, model, cancellationToken);
    }

    public async Task<IReadOnlyList<FineTune>> ListAsync(string tenantId, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<MaasDbContext>();
        return await FineTuneStore.ListAsync(db, tenantId, cancellationToken);
    }
}
