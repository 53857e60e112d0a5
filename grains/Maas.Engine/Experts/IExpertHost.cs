namespace Maas.Engine.Experts;

/// <summary>
/// Computes routed experts for a whole batch: the model calls it once per MoE layer per step with
/// every (row, expert, weight) assignment it serves. <see cref="LocalExpertHost"/> runs the base
/// model's experts in-process; a remote host (e.g. a grain holding a tenant's fine-tuned experts)
/// serves the (layer, expert) pairs it reports through <see cref="Serves"/>. Calls come from the
/// engine's compute thread and must complete synchronously.
/// </summary>
public interface IExpertHost
{
    /// <summary>Whether this host computes routed expert <paramref name="expert"/> of MoE layer <paramref name="layer"/>.</summary>
    bool Serves(int layer, int expert);

    /// <summary>
    /// For every assignment a: output[a.Row] += a.Weight · Expert(layer, a.Expert)(hidden[a.Row]).
    /// <paramref name="hidden"/> and <paramref name="output"/> are [rows, hiddenSize] row-major
    /// (the normalised hidden states of the whole batch); rows without assignments are left alone.
    /// </summary>
    void Accumulate(int layer, ReadOnlySpan<float> hidden, int hiddenSize, ReadOnlySpan<ExpertAssignment> assignments, Span<float> output);
}
