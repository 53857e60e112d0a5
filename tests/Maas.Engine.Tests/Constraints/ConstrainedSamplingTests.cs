using System.Text;
using System.Text.Json;
using Json.Schema;
using Maas.Engine.Sampling;
using Maas.Grammar;
using Maas.Testing;
using Maas.Tokenization;
using Xunit;

namespace Maas.Engine.Tests.Constraints;

/// <summary>
/// The grammar alone guarantees valid output: tokens drawn at random from the real DeepSeek-V3 vocabulary under each
/// schema's mask (uniformly among allowed tokens, a harder test than a trained model) always decode to JSON that
/// parses and validates with JsonSchema.Net, format validation on.
/// </summary>
public sealed class ConstrainedSamplingTests
{
    private static readonly Lazy<TextTokenizer> Tokenizer = new(() => TextTokenizer.Load(TestEnvironment.DeepSeekV3TokenizerFolder));
    private static readonly Lazy<TokenVocabulary> Vocabulary = new(() => GrammarVocabulary.From(Tokenizer.Value));

    public static TheoryData<string> Schemas() => [.. SchemaCorpus.All.Keys];

    [Theory]
    [MemberData(nameof(Schemas))]
    public void Random_tokens_under_the_mask_always_give_json_valid_against_the_schema(string name)
    {
        var schemaText = SchemaCorpus.All[name];
        var grammar = new TokenGrammar(GrammarCompiler.JsonSchema(schemaText, "schema"), Vocabulary.Value);
        var schema = JsonSchema.FromText(schemaText);
        for (var seed = 0; seed < 4; seed++)
        {
            var text = Generate(grammar, new Random(seed), out var tokens);
            using var document = JsonDocument.Parse(text);
            var result = schema.Evaluate(document.RootElement, new EvaluationOptions { RequireFormatValidation = true, OutputFormat = OutputFormat.List });
            Assert.True(result.IsValid, $"seed {seed}, {tokens} tokens: {text}\n{JsonSerializer.Serialize(result)}");
        }
    }

    [Fact]
    public void Random_tokens_under_the_json_object_mask_give_a_json_object()
    {
        var grammar = new TokenGrammar(GrammarCompiler.JsonObject(), Vocabulary.Value);
        for (var seed = 0; seed < 4; seed++)
        {
            var text = Generate(grammar, new Random(seed), out _);
            using var document = JsonDocument.Parse(text);
            Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
        }
    }

    [Fact]
    public void End_of_sequence_is_allowed_only_where_the_grammar_accepts()
    {
        var grammar = new TokenGrammar(GrammarCompiler.JsonSchema("""{"type":"object","properties":{"ok":{"type":"boolean"}},"required":["ok"]}""", "schema"), Vocabulary.Value);
        var matcher = grammar.CreateMatcher();
        var eos = Tokenizer.Value.EosTokenIds[0];
        foreach (var token in Tokenizer.Value.Encode("{\"ok\":tru", AddedTokenHandling.AsText))
        {
            Assert.False(Allowed(matcher.AllowedTokens(), eos));
            matcher.Accept(token);
        }

        Assert.False(Allowed(matcher.AllowedTokens(), eos));
        foreach (var token in Tokenizer.Value.Encode("e}", AddedTokenHandling.AsText))
        {
            matcher.Accept(token);
        }

        Assert.True(matcher.IsComplete);
        var mask = matcher.AllowedTokens();
        Assert.True(Allowed(mask, eos));
        Assert.Equal(Tokenizer.Value.EosTokenIds.Count, mask.ToArray().Sum(w => System.Numerics.BitOperations.PopCount(w)));
    }

    [Fact]
    public void Tokens_ending_inside_a_multi_byte_character_are_allowed_in_strings_and_control_tokens_never_are()
    {
        var grammar = new TokenGrammar(GrammarCompiler.JsonSchema("""{"type":"string"}""", "schema"), Vocabulary.Value);
        var matcher = grammar.CreateMatcher();
        matcher.Accept(Tokenizer.Value.Encode("\"", AddedTokenHandling.AsText).Single());
        var mask = matcher.AllowedTokens().ToArray();

        // "€" is E2 82 AC: a token holding only its first byte leaves the character unfinished, which a string may continue.
        var partial = Enumerable.Range(0, Vocabulary.Value.Size).First(id => Vocabulary.Value.IsContentToken(id) && Vocabulary.Value.Bytes(id).SequenceEqual(new byte[] { 0xE2 }));
        var loneContinuation = Enumerable.Range(0, Vocabulary.Value.Size).First(id => Vocabulary.Value.IsContentToken(id) && Vocabulary.Value.Bytes(id).SequenceEqual(new byte[] { 0x82 }));
        Assert.True(Allowed(mask, partial));
        Assert.False(Allowed(mask, loneContinuation));
        Assert.False(Allowed(mask, Tokenizer.Value.TokenId("<｜User｜>")!.Value));
    }

    private static bool Allowed(ReadOnlySpan<ulong> mask, int token) => (mask[token >> 6] & (1UL << token)) != 0;

    /// <summary>Draws uniformly among allowed tokens until the grammar is complete or EOS is drawn; returns the text.</summary>
    private static string Generate(TokenGrammar grammar, Random random, out int tokens)
    {
        var matcher = grammar.CreateMatcher();
        var bytes = new List<byte>();
        var allowed = new List<int>();
        var eos = new HashSet<int>(Tokenizer.Value.EosTokenIds);
        const int budget = 400;
        for (tokens = 0; tokens < budget; tokens++)
        {
            var mask = matcher.AllowedTokens(budget - tokens);
            allowed.Clear();
            for (var word = 0; word < mask.Length; word++)
            {
                for (var bits = mask[word]; bits != 0; bits &= bits - 1)
                {
                    allowed.Add(word * 64 + System.Numerics.BitOperations.TrailingZeroCount(bits));
                }
            }

            Assert.NotEmpty(allowed);
            var token = allowed[random.Next(allowed.Count)];
            if (eos.Contains(token))
            {
                break;
            }

            matcher.Accept(token);
            Assert.False(matcher.Failed);
            bytes.AddRange(Tokenizer.Value.TokenBytes(token));
            if (matcher.IsComplete)
            {
                break;
            }
        }

        Assert.True(matcher.IsAccepting, $"not finished after {tokens} tokens: {Encoding.UTF8.GetString([.. bytes])}");
        return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString([.. bytes]);
    }
}
