namespace Maas.Testing;

/// <summary>How a `maas` CLI process ended and what it printed.</summary>
public sealed record CliProcessResult(int ExitCode, string Output, string Error);
