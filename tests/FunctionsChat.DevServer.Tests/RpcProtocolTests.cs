using System.Reflection;
using Google.Protobuf.Reflection;

namespace FunctionsChat.DevServer.Tests;

/// <summary>
/// DevServer's function_rpc.proto holds only the part of the protocol it speaks. Each message, field and enum value
/// in it must be in the protocol the worker package we ship was built from, with the same number and type: the
/// worker assembly embeds that protocol's descriptor.
/// </summary>
public sealed class RpcProtocolTests
{
    private static readonly FileDescriptor Ours = Rpc.FunctionRpcReflection.Descriptor;

    private static readonly FileDescriptor Workers = (FileDescriptor)Assembly.Load("Microsoft.Azure.Functions.Worker.Grpc")
        .GetType("Microsoft.Azure.Functions.Worker.Grpc.Messages.FunctionRpcReflection", throwOnError: true)!
        .GetProperty("Descriptor", BindingFlags.Public | BindingFlags.Static)!
        .GetValue(null)!;

    public static TheoryData<string> OurMessages() => [.. AllMessages(Ours).Select(m => m.FullName)];

    [Theory]
    [MemberData(nameof(OurMessages))]
    public void EveryFieldOfOurMessageIsTheWorkersFieldWithTheSameNumberAndType(string message)
    {
        var ours = AllMessages(Ours).Single(m => m.FullName == message);
        var theirs = AllMessages(Workers).SingleOrDefault(m => m.FullName == message);
        Assert.True(theirs is not null, $"The worker's protocol has no message {message}.");
        foreach (var field in ours.Fields.InDeclarationOrder())
        {
            var match = theirs.FindFieldByNumber(field.FieldNumber);
            Assert.True(match is not null, $"{message}.{field.Name} = {field.FieldNumber}: the worker has no field with that number.");
            Assert.Equal(field.Name, match.Name);
            Assert.Equal(field.FieldType, match.FieldType);
            Assert.Equal(field.IsRepeated, match.IsRepeated);
            Assert.Equal(field.IsMap, match.IsMap);
            Assert.Equal(field.RealContainingOneof?.Name, match.RealContainingOneof?.Name);
            Assert.Equal(TypeName(field), TypeName(match));
        }
    }

    [Fact]
    public void EveryEnumValueOfOursIsTheWorkers()
    {
        var theirs = AllEnums(Workers).ToDictionary(e => e.FullName);
        foreach (var ours in AllEnums(Ours))
        {
            Assert.True(theirs.ContainsKey(ours.FullName), $"The worker's protocol has no enum {ours.FullName}.");
            foreach (var value in ours.Values)
            {
                Assert.Equal(value.Number, theirs[ours.FullName].FindValueByName(value.Name)?.Number);
            }
        }
    }

    [Fact]
    public void TheServiceIsTheWorkers()
    {
        var ours = Assert.Single(Ours.Services);
        var theirs = Workers.Services.Single(s => s.FullName == ours.FullName);
        var method = Assert.Single(ours.Methods);
        var match = theirs.FindMethodByName(method.Name);
        Assert.NotNull(match);
        Assert.Equal((method.IsClientStreaming, method.IsServerStreaming), (match.IsClientStreaming, match.IsServerStreaming));
        Assert.Equal(method.InputType.FullName, match.InputType.FullName);
        Assert.Equal(method.OutputType.FullName, match.OutputType.FullName);
    }

    private static string? TypeName(FieldDescriptor field) => field.FieldType switch
    {
        FieldType.Message => field.MessageType.FullName,
        FieldType.Enum => field.EnumType.FullName,
        _ => null,
    };

    private static IEnumerable<MessageDescriptor> AllMessages(FileDescriptor file) =>
        file.MessageTypes.SelectMany(Nested).Where(m => !m.GetOptions()?.MapEntry ?? true);

    private static IEnumerable<MessageDescriptor> Nested(MessageDescriptor message) => [message, .. message.NestedTypes.SelectMany(Nested)];

    private static IEnumerable<EnumDescriptor> AllEnums(FileDescriptor file) =>
        file.EnumTypes.Concat(file.MessageTypes.SelectMany(Nested).SelectMany(m => m.EnumTypes));
}
