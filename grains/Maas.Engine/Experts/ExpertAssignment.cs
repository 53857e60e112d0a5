namespace Maas.Engine.Experts;

/// <summary>One routing decision of a MoE layer: token row <see cref="Row"/> of the batch goes to <see cref="Expert"/> with <see cref="Weight"/>.</summary>
public readonly record struct ExpertAssignment(int Row, int Expert, float Weight);
