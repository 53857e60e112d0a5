using System.Globalization;
using Maas.Infrastructure.Administration;
using Maas.Infrastructure.Billing;
using Maas.Infrastructure.Metering;
using Maas.Infrastructure.Tenancy;
using Maas.Testing;
using Microsoft.Playwright;

namespace Maas.Portal.Tests;

/// <summary>
/// The portal as `make run` starts it, on free loopback ports and a fresh database: the api (for /v1/usage and
/// /v1/models), the portal and the YARP gateway in front of both, each a real process; usage written through the real
/// metering sink; Debian's chromium driven by Playwright, always through the gateway's /portal route.
/// </summary>
public sealed class PortalFixture : IAsyncLifetime
{
    public const string SigningSecret = "portal-tests-signing-secret-0123456789";
    public const string Admin = "alice";
    public const string AdminPassword = "alice-correct-horse-battery";

    /// <summary>The administrator the lockout test locks out (so <see cref="Admin"/> keeps working).</summary>
    public const string LockoutAdmin = "mallory";
    public const string LockoutAdminPassword = "mallory-correct-horse-battery";
    public const int MaxFailedSignIns = 3;

    public const string Acme = "acme";
    public const string Globex = "globex";
    public const string Initech = "initech";
    public const decimal AcmeBudget = 50m;

    /// <summary>Gateways trust a looked-up key this long: far longer than the tests, so a refused revoked key was refused because of the notice.</summary>
    public static readonly TimeSpan KeyCacheTtl = TimeSpan.FromMinutes(10);

    private readonly string _suffix = Guid.NewGuid().ToString("N")[..8];
    private readonly List<ServiceProcess> _processes = [];
    private readonly string _spill = Path.Combine(Path.GetTempPath(), "maas-portal-spill-" + Guid.NewGuid().ToString("N")[..8]);

    public PostgresTestDatabase Database { get; private set; } = null!;

    public ServiceProcess Api { get; private set; } = null!;

    public ServiceProcess Portal { get; private set; } = null!;

    public ServiceProcess Gateway { get; private set; } = null!;

    public IPlaywright Playwright { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Revocation notices of this fixture's portal and gateway only (one setting, Maas:ApiKeys:RevocationChannel, for both).</summary>
    public string RevocationChannel => "maas:portal-tests:revoked:" + _suffix;

    /// <summary>acme's key: its usage is seeded, and it asks the gateway for /v1/usage.</summary>
    public IssuedApiKey AcmeKey { get; private set; } = null!;

    public IReadOnlyList<UsageRecord> AcmeUsage { get; private set; } = [];

    /// <summary>The portal's front page through the gateway.</summary>
    public string PortalUrl => new Uri(Gateway.Address, "/portal/").ToString();

    /// <summary>Screenshots of every page, kept as test artefacts.</summary>
    public static string ScreenshotFolder => Path.Combine(TestEnvironment.RepositoryRoot, ".data", "portal-screenshots");

    public async Task InitializeAsync()
    {
        Database = await PostgresTestDatabase.CreateAsync();
        var now = DateTimeOffset.UtcNow;
        await using (var db = Database.CreateContext())
        {
            var prices = new PriceBookRegistry(db);
            // model-a has a superseded (past) price and the one in effect; model-b one price.
            await prices.SetAsync(SeededUsage.ModelA, null, 0.30m, 0.10m, 1.20m, "USD", 0.5m, DateTimeOffset.UnixEpoch, CancellationToken.None);
            await prices.SetAsync(SeededUsage.ModelA, null, TestPrices.InputMiss, TestPrices.InputHit, TestPrices.Output, "USD", 0.5m, now.AddDays(-40), CancellationToken.None);
            await prices.SetAsync(SeededUsage.ModelB, null, 0.14m, 0.02m, 0.28m, "USD", 0.5m, DateTimeOffset.UnixEpoch, CancellationToken.None);

            var tenants = new TenantRegistry(db);
            await tenants.CreateAsync(Acme, "Acme Plant 3", [], 32, 1000, CancellationToken.None);
            await tenants.CreateAsync(Globex, "Globex Refinery", [], 16, 600, CancellationToken.None);
            await tenants.CreateAsync(Initech, "Initech Line 7", [], 16, 600, CancellationToken.None);
            var budgets = new BudgetRegistry(db);
            await budgets.SetAsync(Acme, null, AcmeBudget, CancellationToken.None);
            await budgets.SetAsync(Globex, null, 100m, CancellationToken.None);
            await budgets.SetAsync(Initech, null, 0.01m, CancellationToken.None);
            AcmeKey = await new ApiKeyRegistry(db).CreateAsync(Acme, "scada", null, CancellationToken.None);
            var initechKey = await new ApiKeyRegistry(db).CreateAsync(Initech, "mes", null, CancellationToken.None);

            var admins = new PortalAdminRegistry(db);
            await admins.CreateAsync(Admin, AdminPassword, CancellationToken.None);
            await admins.CreateAsync(LockoutAdmin, LockoutAdminPassword, CancellationToken.None);

            AcmeUsage = SeededUsage.For(Acme, AcmeKey.Key.Id.ToString("D"), now);
            await using var metering = await MeteringHost.StartAsync(Database.ConnectionString, _spill);
            foreach (var record in AcmeUsage.Append(SeededUsage.Record(Initech, initechKey.Key.Id.ToString("D"), SeededUsage.ModelA, 100_000, 0, 50_000, now.AddMinutes(-3))))
            {
                await metering.Sink.RecordAsync(record, CancellationToken.None);
            }
        }

        var ready = TimeSpan.FromMinutes(2);
        var apiSilo = FreePort.Next();
        Api = await StartAsync("Maas.Api", new Dictionary<string, string>
        {
            ["Maas:Orleans:PrimarySiloEndpoint"] = $"127.0.0.1:{apiSilo}",
            ["ConnectionStrings:Postgres"] = Database.ConnectionString,
            ["ConnectionStrings:Redis"] = TestEnvironment.RedisConfiguration,
            ["Maas:Orleans:ClusterId"] = "portal-" + _suffix,
            ["Maas:Orleans:SiloPort"] = apiSilo.ToString(CultureInfo.InvariantCulture),
            ["Maas:Orleans:GatewayPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
            ["Maas:Gateway:SigningSecret"] = SigningSecret,
            ["Maas:Metering:SpillDirectory"] = _spill + "-api",
        }, "services", ready);
        Portal = await StartAsync("Maas.Portal", new Dictionary<string, string>
        {
            ["ConnectionStrings:Postgres"] = Database.ConnectionString,
            ["ConnectionStrings:Redis"] = TestEnvironment.RedisConfiguration,
            ["Maas:ApiKeys:RevocationChannel"] = RevocationChannel,
            ["Maas:Portal:MaxFailedSignIns"] = MaxFailedSignIns.ToString(CultureInfo.InvariantCulture),
        }, "services", ready);
        Gateway = await StartAsync("Maas.Gateway", new Dictionary<string, string>
        {
            ["ConnectionStrings:Postgres"] = Database.ConnectionString,
            ["ConnectionStrings:Redis"] = TestEnvironment.RedisConfiguration,
            ["Maas:Gateway:SigningSecret"] = SigningSecret,
            ["Maas:Gateway:ApiKeyCacheTtl"] = KeyCacheTtl.ToString("c", CultureInfo.InvariantCulture),
            ["Maas:ApiKeys:RevocationChannel"] = RevocationChannel,
            ["ReverseProxy:Clusters:api:Destinations:api-1:Address"] = Api.Address.ToString(),
            ["ReverseProxy:Clusters:portal:Destinations:portal-1:Address"] = Portal.Address.ToString(),
        }, "gateway", ready);

        Directory.CreateDirectory(ScreenshotFolder);
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            // As root in a container: no sandbox; no GPU; and nothing that phones home (the network is closed).
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    /// <summary>A fresh browser context (no cookies) on a page 1280 wide, its downloads accepted.</summary>
    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 }, AcceptDownloads = true });
        context.SetDefaultTimeout(15_000);
        return await context.NewPageAsync();
    }

    /// <summary>A fresh context signed in as <see cref="Admin"/> through the sign-in form; returns the tenant list.</summary>
    public async Task<IPage> SignedInPageAsync()
    {
        var page = await NewPageAsync();
        await page.GotoAsync(PortalUrl);
        await page.FillAsync("#UserName", Admin);
        await page.FillAsync("#Password", AdminPassword);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForSelectorAsync("table#tenants");
        return page;
    }

    public static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotFolder, name + ".png"), FullPage = true });

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        Playwright?.Dispose();
        foreach (var process in Enumerable.Reverse(_processes))
        {
            await process.DisposeAsync();
        }

        if (Database is not null)
        {
            await Database.DisposeAsync();
        }

        foreach (var folder in new[] { _spill, _spill + "-api" })
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    private async Task<ServiceProcess> StartAsync(string project, Dictionary<string, string> settings, string folder, TimeSpan ready)
    {
        var process = await ServiceProcess.StartAsync(folder, project, settings, ready);
        _processes.Add(process);
        return process;
    }
}
