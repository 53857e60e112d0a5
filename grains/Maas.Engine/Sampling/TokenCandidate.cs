namespace Maas.Engine.Sampling;

/// <summary>A token id with its log-probability (see <see cref="Sampler"/> for which distribution).</summary>
public readonly record struct TokenCandidate(int TokenId, float Logprob);
