using System.Net;
using Maas.Api.Tests.Support;
using Maas.Testing;

namespace Maas.Api.Tests;

/// <summary>Every invalid request is a 400 in the OpenAI shape whose param names the offending field.</summary>
[Collection(ApiCollection.Name)]
public sealed class RequestValidationTests(ApiHostFixture api)
{
    private const string Chat = "/v1/chat/completions";
    private const string Completions = "/v1/completions";
    private const string Messages = """ "messages": [{"role": "user", "content": "hi"}] """;
    private const string Prompt = """ "prompt": "hi" """;

    public static TheoryData<string, string, string, string> InvalidRequests => new()
    {
        // case, endpoint, body, expected param
        { "model missing", Chat, $$"""{ {{Messages}} }""", "model" },
        { "model not a string", Chat, $$"""{ "model": 7, {{Messages}} }""", "model" },
        { "messages missing", Chat, """{ "model": "model-a" }""", "messages" },
        { "messages not an array", Chat, """{ "model": "model-a", "messages": "hi" }""", "messages" },
        { "messages empty", Chat, """{ "model": "model-a", "messages": [] }""", "messages" },
        { "message role unsupported", Chat, """{ "model": "model-a", "messages": [{"role": "narrator", "content": "x"}] }""", "messages[0].role" },
        { "message role missing", Chat, """{ "model": "model-a", "messages": [{"content": "x"}] }""", "messages[0].role" },
        { "message content not text", Chat, """{ "model": "model-a", "messages": [{"role": "user", "content": 5}] }""", "messages[0].content" },
        { "message content missing", Chat, """{ "model": "model-a", "messages": [{"role": "user"}] }""", "messages[0].content" },
        { "message content image part", Chat, """{ "model": "model-a", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}] }""", "messages[0].content[0]" },
        { "second message bad role", Chat, """{ "model": "model-a", "messages": [{"role": "user", "content": "a"}, {"role": "robot", "content": "b"}] }""", "messages[1].role" },
        { "prompt missing", Completions, """{ "model": "model-a" }""", "prompt" },
        { "prompt batch of two", Completions, """{ "model": "model-a", "prompt": ["a", "b"] }""", "prompt" },
        { "prompt token ids", Completions, """{ "model": "model-a", "prompt": [1, 2, 3] }""", "prompt" },
        { "prompt number", Completions, """{ "model": "model-a", "prompt": 3 }""", "prompt" },
        { "n is 2", Chat, $$"""{ "model": "model-a", {{Messages}}, "n": 2 }""", "n" },
        { "max_tokens 0", Chat, $$"""{ "model": "model-a", {{Messages}}, "max_tokens": 0 }""", "max_tokens" },
        { "max_tokens fractional", Chat, $$"""{ "model": "model-a", {{Messages}}, "max_tokens": 1.5 }""", "max_tokens" },
        { "max_tokens beyond context", Completions, $$"""{ "model": "model-a", {{Prompt}}, "max_tokens": 513 }""", "max_tokens" },
        { "max_completion_tokens 0", Chat, $$"""{ "model": "model-a", {{Messages}}, "max_completion_tokens": 0 }""", "max_completion_tokens" },
        { "max_completion_tokens beyond context", Chat, $$"""{ "model": "model-a", {{Messages}}, "max_completion_tokens": 100000 }""", "max_completion_tokens" },
        { "temperature above 2", Chat, $$"""{ "model": "model-a", {{Messages}}, "temperature": 2.5 }""", "temperature" },
        { "temperature negative", Completions, $$"""{ "model": "model-a", {{Prompt}}, "temperature": -0.1 }""", "temperature" },
        { "temperature a string", Chat, $$"""{ "model": "model-a", {{Messages}}, "temperature": "hot" }""", "temperature" },
        { "top_p 0", Chat, $$"""{ "model": "model-a", {{Messages}}, "top_p": 0 }""", "top_p" },
        { "top_p above 1", Chat, $$"""{ "model": "model-a", {{Messages}}, "top_p": 1.5 }""", "top_p" },
        { "top_k negative", Chat, $$"""{ "model": "model-a", {{Messages}}, "top_k": -1 }""", "top_k" },
        { "seed a string", Chat, $$"""{ "model": "model-a", {{Messages}}, "seed": "x" }""", "seed" },
        { "presence_penalty above 2", Chat, $$"""{ "model": "model-a", {{Messages}}, "presence_penalty": 2.5 }""", "presence_penalty" },
        { "frequency_penalty below -2", Completions, $$"""{ "model": "model-a", {{Prompt}}, "frequency_penalty": -3 }""", "frequency_penalty" },
        { "stop five sequences", Chat, $$"""{ "model": "model-a", {{Messages}}, "stop": ["a", "b", "c", "d", "e"] }""", "stop" },
        { "stop a number", Chat, $$"""{ "model": "model-a", {{Messages}}, "stop": 42 }""", "stop" },
        { "stop empty string", Completions, $$"""{ "model": "model-a", {{Prompt}}, "stop": "" }""", "stop" },
        { "stop array with a number", Chat, $$"""{ "model": "model-a", {{Messages}}, "stop": ["a", 1] }""", "stop[1]" },
        { "chat logprobs not a bool", Chat, $$"""{ "model": "model-a", {{Messages}}, "logprobs": 3 }""", "logprobs" },
        { "top_logprobs above 20", Chat, $$"""{ "model": "model-a", {{Messages}}, "logprobs": true, "top_logprobs": 21 }""", "top_logprobs" },
        { "top_logprobs without logprobs", Chat, $$"""{ "model": "model-a", {{Messages}}, "top_logprobs": 2 }""", "top_logprobs" },
        { "completions logprobs above 5", Completions, $$"""{ "model": "model-a", {{Prompt}}, "logprobs": 6 }""", "logprobs" },
        { "completions logprobs a bool", Completions, $$"""{ "model": "model-a", {{Prompt}}, "logprobs": true }""", "logprobs" },
        { "stream not a bool", Chat, $$"""{ "model": "model-a", {{Messages}}, "stream": "yes" }""", "stream" },
        { "stream_options without stream", Chat, $$"""{ "model": "model-a", {{Messages}}, "stream_options": {"include_usage": true} }""", "stream_options" },
        { "stream_options include_usage not a bool", Chat, $$"""{ "model": "model-a", {{Messages}}, "stream": true, "stream_options": {"include_usage": "yes"} }""", "stream_options.include_usage" },
        { "ignore_eos not a bool", Completions, $$"""{ "model": "model-a", {{Prompt}}, "ignore_eos": 1 }""", "ignore_eos" },
    };

    [Theory]
    [MemberData(nameof(InvalidRequests))]
    public async Task Invalid_request_is_400_naming_the_field(string name, string endpoint, string body, string param)
    {
        using var response = await api.Http.SendAsync(api.Requests.Post(endpoint, SeededTenants.A, body));

        var error = await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.BadRequest, param: param);
        Assert.True("invalid_request_error" == error.GetProperty("type").GetString(), name);
    }

    [Theory]
    [InlineData(Chat, "{\"model\": \"model-a\", ")]
    [InlineData(Completions, "not json at all")]
    [InlineData(Chat, "[1, 2]")]
    [InlineData(Completions, "")]
    public async Task Malformed_json_is_400_invalid_json(string endpoint, string body)
    {
        using var response = await api.Http.SendAsync(api.Requests.Post(endpoint, SeededTenants.A, body));

        await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.BadRequest, "invalid_json");
    }

    [Fact]
    public async Task Body_over_the_size_limit_is_413_in_the_openai_shape()
    {
        var prompt = new string('x', ApiHost.MaxRequestBodyBytes + 1024);
        using var response = await api.Http.SendAsync(api.Requests.Post(Completions, SeededTenants.A, $$"""{ "model": "model-a", "prompt": "{{prompt}}" }"""));

        await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.RequestEntityTooLarge, "request_too_large");
    }

    [Theory]
    [InlineData(Chat, $$"""{ "model": "no-such-model", {{Messages}} }""")]
    [InlineData(Completions, $$"""{ "model": "no-such-model", {{Prompt}} }""")]
    public async Task Unknown_model_is_404_model_not_found(string endpoint, string body)
    {
        using var response = await api.Http.SendAsync(api.Requests.Post(endpoint, SeededTenants.All, body));

        await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.NotFound, "model_not_found", "model");
    }
}
