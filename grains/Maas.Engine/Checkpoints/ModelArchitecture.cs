namespace Maas.Engine.Checkpoints;

public enum ModelArchitecture
{
    DeepseekV2,
    DeepseekV3,
}
