// These tests run the linux-x64 Bicep CLI and bash scripts: they are Linux-only, like CI.
[assembly: System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
