using System.Diagnostics;
using System.Globalization;
using Maas.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Maas.Testing;

/// <summary>
/// A PostgreSQL server of the test's own (initdb in a temporary folder, a free loopback port), for fault tests that
/// stop and start the database; the shared server of `make test` must keep serving every other test. Uses the
/// binaries infra/dev/deps.sh installs; as root, the server runs as the 'postgres' user (PostgreSQL refuses root).
/// Its database "maas" has the current schema.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _data;
    private readonly bool _asPostgresUser;

    private PrivatePostgres(string bin, string data, int port, bool asPostgresUser)
    {
        _bin = bin;
        _data = data;
        Port = port;
        _asPostgresUser = asPostgresUser;
        ConnectionString = new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = port, Username = "maas", Password = "maas", Database = "maas" }.ConnectionString;
    }

    public int Port { get; }

    public string ConnectionString { get; }

    public static async Task<PrivatePostgres> CreateAsync(CancellationToken cancellationToken = default)
    {
        var bin = Directory.EnumerateDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).OrderDescending().FirstOrDefault(d => File.Exists(Path.Combine(d, "pg_ctl")))
            ?? throw new InvalidOperationException("No PostgreSQL binaries under /usr/lib/postgresql (run infra/dev/deps.sh start).");
        var data = Path.Combine(Path.GetTempPath(), "maas-pg-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(data);
        var root = Environment.IsPrivilegedProcess;
        var server = new PrivatePostgres(bin, data, FreePort.Next(), root);
        if (root)
        {
            await RunAsync("chown", ["postgres:postgres", data], asPostgres: false, cancellationToken);
        }

        await server.PgAsync("initdb", ["-D", data, "-U", "maas", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"], cancellationToken);
        await server.StartAsync(cancellationToken);
        await using (var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = "postgres" }.ConnectionString))
        {
            await admin.OpenAsync(cancellationToken);
            await using var create = new NpgsqlCommand("CREATE DATABASE maas", admin);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var db = MaasDbContext.Create(server.ConnectionString);
        await db.Database.MigrateAsync(cancellationToken);
        return server;
    }

    public MaasDbContext CreateContext() => MaasDbContext.Create(ConnectionString);

    /// <summary>Starts the server (again) and waits until it accepts connections.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default) =>
        PgAsync("pg_ctl", ["-D", _data, "-l", Path.Combine(_data, "server.log"), "-w", "-t", "60",
            "-o", $"-c listen_addresses=127.0.0.1 -p {Port.ToString(CultureInfo.InvariantCulture)} -k {_data} -c fsync=on -c max_connections=100", "start"], cancellationToken);

    /// <summary>Stops the server: "fast" disconnects clients and shuts down cleanly, "immediate" is a crash.</summary>
    public async Task StopAsync(string mode = "fast", CancellationToken cancellationToken = default)
    {
        await PgAsync("pg_ctl", ["-D", _data, "-m", mode, "-w", "stop"], cancellationToken);
        NpgsqlConnection.ClearAllPools();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await PgAsync("pg_ctl", ["-D", _data, "-m", "immediate", "-w", "stop"], CancellationToken.None);
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }

        NpgsqlConnection.ClearAllPools();
        Directory.Delete(_data, recursive: true);
    }

    private Task PgAsync(string tool, IReadOnlyList<string> arguments, CancellationToken cancellationToken) =>
        RunAsync(Path.Combine(_bin, tool), arguments, _asPostgresUser, cancellationToken);

    private static async Task RunAsync(string program, IReadOnlyList<string> arguments, bool asPostgres, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(asPostgres ? "runuser" : program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (asPostgres)
        {
            foreach (var a in new[] { "-u", "postgres", "--", program })
            {
                start.ArgumentList.Add(a);
            }
        }

        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not run {program}.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(program)} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await output}{await error}");
        }
    }
}
