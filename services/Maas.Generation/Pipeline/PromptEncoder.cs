using Maas.Generation.Models;
using Maas.Generation.Requests;
using Maas.Infrastructure.OpenAi;
using Maas.Tokenization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Maas.Generation.Pipeline;

/// <summary>
/// Tokenizes admitted prompts with bounded concurrency and a deadline, so no burst of large prompts can take every
/// thread of the process: at most <see cref="GenerationOptions.TokenizationConcurrency"/> run at once, a request
/// waits at most <see cref="GenerationOptions.TokenizationQueueTimeout"/> for a slot and its tokenization stops at
/// <see cref="GenerationOptions.TokenizationTimeout"/> (503 with Retry-After either way). Chat messages go through
/// the model's template (control tokens by id, content as text), completions prompts as text unless the model
/// allows special tokens.
/// </summary>
public sealed partial class PromptEncoder : IDisposable
{
    private readonly SemaphoreSlim _slots;
    private readonly GenerationOptions _options;
    private readonly ILogger<PromptEncoder> _logger;

    public PromptEncoder(IOptions<GenerationOptions> options, ILogger<PromptEncoder> logger)
    {
        _options = options.Value;
        _logger = logger;
        Concurrency = _options.TokenizationConcurrency > 0 ? _options.TokenizationConcurrency : Environment.ProcessorCount;
        _slots = new SemaphoreSlim(Concurrency, Concurrency);
    }

    /// <summary>Tokenizations that may run at once.</summary>
    public int Concurrency { get; }

    public async Task<int[]> EncodeAsync(ServedModel model, ValidatedGeneration request, CancellationToken cancellationToken)
    {
        if (!await _slots.WaitAsync(_options.TokenizationQueueTimeout, cancellationToken))
        {
            throw new ApiErrorException(ApiError.Of(503, "The server is busy tokenizing other prompts. Please retry shortly.", ApiError.ServerError, "tokenizer_busy", 1));
        }

        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(_options.TokenizationTimeout);
            try
            {
                return Encode(model, request, deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                LogTimedOut(_logger, model.Id, request.Kind, _options.TokenizationTimeout);
                throw new ApiErrorException(ApiError.Of(503, "Tokenizing the prompt took too long. Please retry shortly.", ApiError.ServerError, "tokenization_timeout", 1));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogTokenizerFailed(_logger, ex, model.Id, model.Path);
                throw new ApiErrorException(ApiError.Internal($"The tokenizer of model '{model.Id}' is not available."));
            }
        }
        finally
        {
            _slots.Release();
        }
    }

    public void Dispose() => _slots.Dispose();

    private static int[] Encode(ServedModel model, ValidatedGeneration request, CancellationToken cancellationToken)
    {
        if (request.Kind == GenerationKind.Chat)
        {
            // Control tokens by id, every message's content as plain text; the template writes BOS where the family wants it.
            return model.ChatTemplate.Encode(request.Messages, addGenerationPrompt: true, model.Tokenizer, cancellationToken);
        }

        var handling = model.SpecialTokensInPrompts ? AddedTokenHandling.Recognize : AddedTokenHandling.AsText;
        var ids = new List<int>(request.Prompt.Length / 3 + 2);
        if (model.Tokenizer.AddBosToken)
        {
            ids.Add(model.Tokenizer.BosTokenId);
        }

        model.Tokenizer.Append(request.Prompt, handling, ids, cancellationToken);
        return [.. ids];
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tokenizing a {Kind} prompt for model {Model} passed its deadline of {Timeout}")]
    private static partial void LogTimedOut(ILogger logger, string model, GenerationKind kind, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Error, Message = "Tokenizing for model {Model} ({Path}) failed")]
    private static partial void LogTokenizerFailed(ILogger logger, Exception exception, string model, string path);
}
