using System.Net;
using System.Text;
using Maas.Api.Tests.Support;
using Maas.Testing;

namespace Maas.Api.Tests;

/// <summary>
/// Issue 16, item 4: bad text, bad nesting, bad numbers and oversized lists are 400s in the OpenAI shape naming the
/// field, never 500s. (The fuzz test in Maas.EndToEnd.Tests posts hundreds of mutated bodies through the gateway.)
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class MalformedInputTests(ApiHostFixture api)
{
    private const string Chat = "/v1/chat/completions";
    private const string Completions = "/v1/completions";

    public static TheoryData<string, string, byte[], string> MalformedBodies()
    {
        static byte[] Ascii(string s) => Encoding.UTF8.GetBytes(s);
        static byte[] Content(byte[] inner) =>
            [.. Ascii("""{"model": "model-a", "messages": [{"role": "user", "content": "a"""), .. inner, .. Ascii("""b"}]}""")];
        return new()
        {
            // case, endpoint, body, expected param
            { "invalid UTF-8 byte in content", Chat, Content([0xFF, 0xFE]), "messages[0].content" },
            { "overlong UTF-8 in content", Chat, Content([0xC0, 0xAF]), "messages[0].content" },
            { "UTF-8-encoded surrogate in content", Chat, Content([0xED, 0xA0, 0x80]), "messages[0].content" },
            { "truncated UTF-8 sequence in content", Chat, Content([0xE6, 0xB8]), "messages[0].content" },
            { "lone high surrogate escape", Chat, Ascii("""{"model": "model-a", "messages": [{"role": "user", "content": "a\ud800b"}]}"""), "messages[0].content" },
            { "lone low surrogate escape", Chat, Ascii("""{"model": "model-a", "messages": [{"role": "user", "content": "a\udc00b"}]}"""), "messages[0].content" },
            { "reversed surrogate pair", Chat, Ascii("""{"model": "model-a", "messages": [{"role": "user", "content": "\udc00\ud800"}]}"""), "messages[0].content" },
            { "high surrogate at the end", Completions, Ascii("""{"model": "model-a", "prompt": "abc\ud83e"}"""), "prompt" },
            { "lone surrogate in a content part", Chat, Ascii("""{"model": "model-a", "messages": [{"role": "user", "content": [{"type": "text", "text": "\ud800"}]}]}"""), "messages[0].content[0].text" },
            { "lone surrogate in the model", Chat, Ascii("""{"model": "m\ud800", "messages": [{"role": "user", "content": "hi"}]}"""), "model" },
            { "lone surrogate in a stop string", Chat, Ascii("""{"model": "model-a", "stop": ["ok", "\udfff"], "messages": [{"role": "user", "content": "hi"}]}"""), "stop[1]" },
            { "invalid UTF-8 in the role", Chat, [.. Ascii("""{"model": "model-a", "messages": [{"role": "us"""), 0xFF, .. Ascii("""er", "content": "hi"}]}""")], "messages[0].role" },
            { "nesting 40 deep", Chat, Ascii("""{"model": "model-a", "messages": [{"role": "user", "content": "hi"}], "user": """ + new string('[', 40) + new string(']', 40) + "}"), "body" },
            { "nesting 100000 deep", Completions, Ascii("""{"model": "model-a", "prompt": """ + new string('[', 100_000)), "body" },
            { "max_tokens 1e400", Chat, Ascii("""{"model": "model-a", "max_tokens": 1e400, "messages": [{"role": "user", "content": "hi"}]}"""), "max_tokens" },
            { "max_tokens beyond int", Chat, Ascii("""{"model": "model-a", "max_tokens": 99999999999999999999, "messages": [{"role": "user", "content": "hi"}]}"""), "max_tokens" },
            { "temperature 1e400", Chat, Ascii("""{"model": "model-a", "temperature": 1e400, "messages": [{"role": "user", "content": "hi"}]}"""), "temperature" },
            { "top_p -1e400", Chat, Ascii("""{"model": "model-a", "top_p": -1e400, "messages": [{"role": "user", "content": "hi"}]}"""), "top_p" },
            { "seed beyond long", Completions, Ascii("""{"model": "model-a", "seed": 123456789012345678901234567890, "prompt": "hi"}"""), "seed" },
            { "logprobs beyond int", Completions, Ascii("""{"model": "model-a", "logprobs": 1e20, "prompt": "hi"}"""), "logprobs" },
            { "n as a string", Chat, Ascii("""{"model": "model-a", "n": "2", "messages": [{"role": "user", "content": "hi"}]}"""), "n" },
            { "messages an object", Chat, Ascii("""{"model": "model-a", "messages": {"role": "user"}}"""), "messages" },
            { "content an object", Chat, Ascii("""{"model": "model-a", "messages": [{"role": "user", "content": {"text": "hi"}}]}"""), "messages[0].content" },
            { "role a number", Chat, Ascii("""{"model": "model-a", "messages": [{"role": 1, "content": "hi"}]}"""), "messages[0].role" },
            { "stop string too long", Chat, Ascii($$"""{"model": "model-a", "stop": "{{new string('x', 257)}}", "messages": [{"role": "user", "content": "hi"}]}"""), "stop" },
            { "stop list of 1000", Chat, Ascii("""{"model": "model-a", "stop": [""" + string.Join(",", Enumerable.Repeat("\"s\"", 1000)) + """], "messages": [{"role": "user", "content": "hi"}]}"""), "stop" },
            { "2049 messages", Chat, Ascii("""{"model": "model-a", "messages": [""" + string.Join(",", Enumerable.Repeat("""{"role":"user","content":"a"}""", 2049)) + "]}"), "messages" },
            { "model name of 300 characters", Chat, Ascii($$"""{"model": "{{new string('m', 300)}}", "messages": [{"role": "user", "content": "hi"}]}"""), "model" },
            { "a JSON string, not an object", Chat, Ascii("\"hello\""), "body" },
            { "null", Completions, Ascii("null"), "body" },
            { "trailing garbage", Completions, Ascii("""{"model": "model-a", "prompt": "hi"} trailing"""), "body" },
            { "a byte-order mark", Completions, [0xEF, 0xBB, 0xBF, .. Ascii("""{"model": "model-a", "prompt": "hi", "max_tokens": 0}""")], "max_tokens" },
        };
    }

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public async Task Malformed_body_is_400_naming_the_field(string name, string endpoint, byte[] body, string param)
    {
        using var response = await api.Http.SendAsync(api.Requests.PostBytes(endpoint, SeededTenants.A, body));

        var error = await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.BadRequest, param: param);
        Assert.True("invalid_request_error" == error.GetProperty("type").GetString(), name);
    }
}
