namespace Maas.Engine.Tests.TestSupport;

internal sealed record GoldenCase(int[] Tokens, float[] Logits, int Vocab);
