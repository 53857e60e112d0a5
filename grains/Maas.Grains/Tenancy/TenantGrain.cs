using Maas.Grains.Abstractions.Tenancy;
using Maas.Infrastructure.Billing;
using Maas.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Placement;

namespace Maas.Grains.Tenancy;

/// <summary>
/// Enforces one tenant's policy: allowed models, concurrent requests and monthly budgets. The policy is read from the
/// tenants table on activation and refreshed on a timer; slots are leases keyed by request id that
/// expire after <see cref="TenantGrainOptions.LeaseDuration"/>. Budgets: see <see cref="TenantBudget"/>; a model
/// without a price in effect is refused (never served at a silent zero). Prefer-local placement keeps it on the api silo that calls it.
/// </summary>
[PreferLocalPlacement]
public sealed partial class TenantGrain(
    IServiceScopeFactory scopes,
    IOptions<TenantGrainOptions> options,
    PriceBookCache prices,
    TimeProvider time,
    ILogger<TenantGrain> logger) : Grain, ITenantGrain
{
    private readonly TenantGrainOptions _options = options.Value;
    private readonly Dictionary<string, DateTimeOffset> _leases = new(StringComparer.Ordinal);
    private readonly TenantBudget _budget = new();
    private TenantPolicy _policy = null!;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _policy = await LoadPolicyAsync(cancellationToken);
        await LoadBudgetAsync(spendToo: true, cancellationToken);
        this.RegisterGrainTimer(RefreshPolicyAsync, new GrainTimerCreationOptions(_options.PolicyRefreshInterval, _options.PolicyRefreshInterval) { Interleave = false });
    }

    public async Task<AdmissionResult> AdmitAsync(AdmissionRequest request)
    {
        ArgumentException.ThrowIfNullOrEmpty(request.RequestId);
        var now = time.GetUtcNow();
        ExpireLeases(now);
        var price = (await prices.GetAsync(CancellationToken.None)).Find(request.Model, request.FineTune, now);

        AdmissionResult result;
        if (!_policy.Exists)
        {
            result = AdmissionResult.Refused(AdmissionError.UnknownTenant, $"Tenant '{_policy.TenantId}' does not exist.");
        }
        else if (_policy.Disabled)
        {
            result = AdmissionResult.Refused(AdmissionError.TenantDisabled, $"Tenant '{_policy.TenantId}' is disabled.");
        }
        else if (!_policy.Allows(request.Model))
        {
            result = AdmissionResult.Refused(AdmissionError.ModelNotAllowed, $"Your organization does not have access to model '{request.Model}'.");
        }
        else if (price is null)
        {
            result = AdmissionResult.Refused(AdmissionError.ModelNotPriced, $"Model '{request.Model}' cannot be served: it has no price configured.");
        }
        else if (_leases.ContainsKey(request.RequestId))
        {
            // A retried admission of the same request keeps its one slot.
            _leases[request.RequestId] = now + _options.LeaseDuration;
            result = AdmissionResult.Admitted(_options.LeaseDuration, _policy.SchedulingWeight);
        }
        else if (_leases.Count >= _policy.MaxConcurrentRequests)
        {
            result = AdmissionResult.Refused(
                AdmissionError.TooManyConcurrentRequests,
                $"Too many concurrent requests: the limit is {_policy.MaxConcurrentRequests}.",
                _options.RetryAfterSeconds);
        }
        else if (_budget.TryReserve(request.RequestId, request.KeyId, price, UsageCharge.WorstCase(price, request.PromptTokens, request.MaxTokens), now) is { } overBudget)
        {
            result = AdmissionResult.Refused(AdmissionError.InsufficientQuota, overBudget);
        }
        else
        {
            _leases[request.RequestId] = now + _options.LeaseDuration;
            result = AdmissionResult.Admitted(_options.LeaseDuration, _policy.SchedulingWeight);
        }

        LogAdmission(logger, _policy.TenantId, request.RequestId, request.Model, result.Allowed, result.Error, _leases.Count);
        return result;
    }

    public Task<bool> RenewAsync(string requestId)
    {
        var now = time.GetUtcNow();
        ExpireLeases(now);
        if (!_leases.ContainsKey(requestId))
        {
            return Task.FromResult(false);
        }

        _leases[requestId] = now + _options.LeaseDuration;
        return Task.FromResult(true);
    }

    public Task ReleaseAsync(string requestId, SettledUsage usage)
    {
        _leases.Remove(requestId);
        _budget.Settle(requestId, usage, time.GetUtcNow());
        return Task.CompletedTask;
    }

    public Task<TenantSpend> GetSpendAsync() => Task.FromResult(_budget.Snapshot(time.GetUtcNow()));

    public Task<TenantPolicy> GetPolicyAsync() => Task.FromResult(_policy);

    public Task<int> GetActiveRequestsAsync()
    {
        ExpireLeases(time.GetUtcNow());
        return Task.FromResult(_leases.Count);
    }

    private void ExpireLeases(DateTimeOffset now)
    {
        foreach (var (requestId, expiry) in _leases)
        {
            if (expiry <= now)
            {
                _leases.Remove(requestId);
                _budget.Drop(requestId);
                LogLeaseExpired(logger, _policy.TenantId, requestId);
            }
        }
    }

    private async Task RefreshPolicyAsync(CancellationToken cancellationToken)
    {
        try
        {
            _policy = await LoadPolicyAsync(cancellationToken);
            await LoadBudgetAsync(spendToo: false, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Keep enforcing the last known policy while PostgreSQL is unreachable.
            LogRefreshFailed(logger, ex, this.GetPrimaryKeyString());
        }
    }

    private async Task<TenantPolicy> LoadPolicyAsync(CancellationToken cancellationToken)
    {
        var tenantId = this.GetPrimaryKeyString();
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<MaasDbContext>();
        var tenant = await db.Tenants.AsNoTracking().FirstOrDefaultAsync(t => t.Id == tenantId, cancellationToken);
        return tenant is null
            ? new TenantPolicy(tenantId, Exists: false, Disabled: true, Array.Empty<string>(), 0)
            : new TenantPolicy(tenantId, Exists: true, tenant.Disabled, tenant.AllowedModels.ToArray(), tenant.MaxConcurrentRequests)
            {
                SchedulingWeight = _options.SchedulingWeights.TryGetValue(tenant.Plan, out var weight) ? weight : 1,
            };
    }

    /// <summary>Budgets with every policy load; month-to-date spend only on activation (after that the grain keeps it).</summary>
    private async Task LoadBudgetAsync(bool spendToo, CancellationToken cancellationToken)
    {
        var tenantId = this.GetPrimaryKeyString();
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<MaasDbContext>();
        await _budget.LoadLimitsAsync(db, tenantId, cancellationToken);
        if (spendToo)
        {
            await _budget.LoadSpendAsync(db, tenantId, time.GetUtcNow(), cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Tenant {TenantId} request {RequestId} for {Model}: allowed {Allowed} ({Error}); {Active} active")]
    private static partial void LogAdmission(ILogger logger, string tenantId, string requestId, string model, bool allowed, AdmissionError error, int active);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tenant {TenantId} request {RequestId}: lease expired without release")]
    private static partial void LogLeaseExpired(ILogger logger, string tenantId, string requestId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refreshing tenant {TenantId} policy failed; keeping the previous one")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception, string tenantId);
}
