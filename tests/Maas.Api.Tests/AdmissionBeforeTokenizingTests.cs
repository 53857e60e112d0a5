using System.Net;
using System.Text.Json.Nodes;
using Maas.Api.Tests.Support;
using Maas.Testing;

namespace Maas.Api.Tests;

/// <summary>
/// Issue 16, item 2: cheap work before admission, bounded work after. A prompt is measured in characters (refused
/// past the context's character budget) and admitted on an upper bound of its tokens before any tokenizer runs;
/// tokenizing is bounded in concurrency and time.
/// </summary>
public sealed class AdmissionBeforeTokenizingTests : IAsyncLifetime
{
    private const string BigContextModel = "model-128k";
    private const string NoTokenizerModel = "model-without-tokenizer";
    private const int BigContext = 131072;

    private readonly string _bigContextFolder = Path.Combine(Path.GetTempPath(), "maas-api-128k-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string _noTokenizerFolder = Path.Combine(Path.GetTempPath(), "maas-api-notok-" + Guid.NewGuid().ToString("N")[..8]);
    private ApiHost _api = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_bigContextFolder);
        Directory.CreateDirectory(_noTokenizerFolder);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(SeededTenants.GoldenModelFolder, "config.json")))!;
        config["max_position_embeddings"] = BigContext;
        File.WriteAllText(Path.Combine(_bigContextFolder, "config.json"), config.ToJsonString());
        File.WriteAllText(Path.Combine(_noTokenizerFolder, "config.json"), config.ToJsonString());
        foreach (var file in new[] { "tokenizer.json", "tokenizer_config.json" })
        {
            File.Copy(Path.Combine(TestEnvironment.DeepSeekV3TokenizerFolder, file), Path.Combine(_bigContextFolder, file));
        }

        _api = await ApiHost.StartAsync([(BigContextModel, _bigContextFolder), (NoTokenizerModel, _noTokenizerFolder)], new Dictionary<string, string?>
        {
            ["Maas:Generation:TokenizationTimeout"] = "00:00:00.001",
            ["Maas:Api:MaxRequestBodyBytes"] = (4 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
    }

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        Directory.Delete(_bigContextFolder, recursive: true);
        Directory.Delete(_noTokenizerFolder, recursive: true);
    }

    [Fact]
    public async Task Admission_is_decided_before_the_tokenizer_runs()
    {
        // The model's tokenizer cannot load: a tenant that may not use it hears 403 from admission, not the tokenizer's failure.
        const string body = $$"""{ "model": "{{NoTokenizerModel}}", "messages": [{"role": "user", "content": "hi"}] }""";

        using var refused = await _api.Http.SendAsync(_api.Requests.Post("/v1/chat/completions", SeededTenants.A, body));
        using var admitted = await _api.Http.SendAsync(_api.Requests.Post("/v1/chat/completions", SeededTenants.All, body));

        await OpenAiErrorAssert.IsErrorAsync(refused, HttpStatusCode.Forbidden, "model_not_allowed");
        await OpenAiErrorAssert.IsErrorAsync(admitted, HttpStatusCode.InternalServerError);
        Assert.Equal(0, await _api.Grains.GetGrain<Grains.Abstractions.Tenancy.ITenantGrain>(SeededTenants.All).GetActiveRequestsAsync());
    }

    [Fact]
    public async Task A_prompt_over_the_contexts_character_budget_is_refused_before_admission()
    {
        // 128k context x 16 characters: one character more is refused with a 400 even for a tenant admission would refuse.
        var prompt = new string('<', BigContext * 16 + 1);
        var body = $$"""{ "model": "{{BigContextModel}}", "prompt": "{{prompt}}" }""";

        using var response = await _api.Http.SendAsync(_api.Requests.Post("/v1/completions", SeededTenants.A, body));

        var error = await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.BadRequest, "context_length_exceeded", "prompt");
        Assert.Contains("characters", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Tokenizing_past_its_deadline_is_503_with_retry_after_and_frees_the_slot()
    {
        // A megabyte-long word takes far longer than this host's 1 ms tokenization deadline.
        var body = $$"""{ "model": "{{BigContextModel}}", "prompt": "{{new string('a', 1 << 20)}}", "max_tokens": 1 }""";

        using var response = await _api.Http.SendAsync(_api.Requests.Post("/v1/completions", SeededTenants.All, body));

        await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.ServiceUnavailable, "tokenization_timeout");
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Equal(0, await _api.Grains.GetGrain<Grains.Abstractions.Tenancy.ITenantGrain>(SeededTenants.All).GetActiveRequestsAsync());
    }
}
