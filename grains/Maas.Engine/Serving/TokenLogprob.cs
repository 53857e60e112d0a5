namespace Maas.Engine.Serving;

/// <summary>A candidate token with its log-probability under the (penalised, temperature-1) distribution.</summary>
public readonly record struct TokenLogprob(int TokenId, string Text, float Logprob);
