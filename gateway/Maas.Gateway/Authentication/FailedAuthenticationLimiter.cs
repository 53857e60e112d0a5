using System.Net;
using Maas.Infrastructure.RateLimiting;
using Maas.Infrastructure.Redis;
using Microsoft.Extensions.Options;

namespace Maas.Gateway.Authentication;

/// <summary>
/// Limits failed authentications per client address (Maas:Gateway:FailedAuthenticationsPerMinute): once an address has
/// used up its failures, its requests are refused with 429 before their key is even parsed, so guessing keys costs
/// neither hashing nor database lookups. Counted in this gateway's memory (the check must work with Redis down). The
/// address is the connection's; behind a load balancer, enable ASP.NET Core's forwarded headers for the balancer's
/// networks so it is the client's. IPv6 clients are counted per /64, the block one host usually controls.
/// </summary>
public sealed class FailedAuthenticationLimiter : IDisposable
{
    private readonly LocalRequestRateLimiter _failures;
    private readonly int _perMinute;

    public FailedAuthenticationLimiter(IOptions<GatewayOptions> options, TimeProvider time)
    {
        _perMinute = options.Value.FailedAuthenticationsPerMinute;
        _failures = new LocalRequestRateLimiter(options.Value.ApiKeyCacheMaxEntries, time);
    }

    /// <summary>Whether this address has no failures left; <paramref name="retryAfter"/> says when it has one again.</summary>
    public bool IsBlocked(IPAddress? address, out TimeSpan retryAfter) => _failures.IsExhausted(Rule(address), out retryAfter);

    /// <summary>Counts one failed authentication of this address.</summary>
    public void RecordFailure(IPAddress? address) => _failures.Acquire([Rule(address)]);

    public void Dispose() => _failures.Dispose();

    private RateLimitRule Rule(IPAddress? address) => new("auth-failures:" + Partition(address), _perMinute, TimeSpan.FromMinutes(1));

    private static string Partition(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4().ToString();
        }

        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            var bytes = address.GetAddressBytes();
            Array.Clear(bytes, 8, 8);
            return new IPAddress(bytes) + "/64";
        }

        return address.ToString();
    }
}
