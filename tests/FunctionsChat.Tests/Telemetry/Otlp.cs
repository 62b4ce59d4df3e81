using System.Buffers.Binary;
using System.Text;

namespace FunctionsChat.Tests.Telemetry;

/// <summary>
/// Just enough of the protobuf wire format and of the OTLP metrics schema (opentelemetry-proto, metrics/v1) to check
/// what an exporter sent: names, units, temporality and data points.
/// </summary>
public static class Otlp
{
    public const int CumulativeTemporality = 2;

    public sealed record Metric(string Scope, string Name, string Unit, string Description, string Kind, int Temporality, IReadOnlyList<Point> Points);

    /// <summary>A sum's value, or a histogram's sum and count.</summary>
    public sealed record Point(IReadOnlyDictionary<string, string> Attributes, double Value, ulong Count, ulong StartTimeUnixNano);

    public static IReadOnlyList<Metric> Metrics(byte[] exportMetricsServiceRequest)
    {
        var metrics = new List<Metric>();
        foreach (var resourceMetrics in Messages(exportMetricsServiceRequest, 1))
        {
            foreach (var scopeMetrics in Messages(resourceMetrics, 2))
            {
                var scope = Messages(scopeMetrics, 1).Select(s => String(s, 1)).FirstOrDefault() ?? "";
                metrics.AddRange(Messages(scopeMetrics, 2).Select(m => ReadMetric(scope, m)));
            }
        }
        return metrics;
    }

    private static Metric ReadMetric(string scope, byte[] metric)
    {
        var (kind, data) = Messages(metric, 7).Select(d => ("sum", d))
            .Concat(Messages(metric, 9).Select(d => ("histogram", d)))
            .Concat(Messages(metric, 5).Select(d => ("gauge", d)))
            .FirstOrDefault(("other", Array.Empty<byte>()));
        var temporality = (int)(Fields(data).Where(f => f.Number == 2 && f.WireType == 0).Select(f => f.Varint).FirstOrDefault());
        var points = Messages(data, 1).Select(p => kind == "histogram" ? HistogramPoint(p) : NumberPoint(p)).ToList();
        return new Metric(scope, String(metric, 1) ?? "", String(metric, 3) ?? "", String(metric, 2) ?? "", kind, temporality, points);
    }

    private static Point NumberPoint(byte[] point)
    {
        var fields = Fields(point).ToList();
        var value = fields.FirstOrDefault(f => f.Number == 4) is { WireType: 1 } asDouble
            ? BitConverter.Int64BitsToDouble((long)asDouble.Varint)
            : (long)fields.FirstOrDefault(f => f.Number == 6).Varint;
        return new Point(Attributes(point, 7), value, 1, fields.FirstOrDefault(f => f.Number == 2).Varint);
    }

    private static Point HistogramPoint(byte[] point)
    {
        var fields = Fields(point).ToList();
        var sum = BitConverter.Int64BitsToDouble((long)fields.FirstOrDefault(f => f.Number == 5).Varint);
        return new Point(Attributes(point, 9), sum, fields.FirstOrDefault(f => f.Number == 4).Varint, fields.FirstOrDefault(f => f.Number == 2).Varint);
    }

    private static Dictionary<string, string> Attributes(byte[] message, int field) =>
        Messages(message, field).ToDictionary(kv => String(kv, 1) ?? "", kv => Messages(kv, 2).Select(AnyValue).FirstOrDefault() ?? "");

    private static string AnyValue(byte[] value) => Fields(value).FirstOrDefault() switch
    {
        { Number: 1 } f => Encoding.UTF8.GetString(f.Bytes),
        { Number: 2 } f => (f.Varint != 0).ToString(),
        { Number: 3 } f => ((long)f.Varint).ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => "",
    };

    private static string? String(byte[] message, int field) =>
        Fields(message).Where(f => f.Number == field && f.WireType == 2).Select(f => Encoding.UTF8.GetString(f.Bytes)).FirstOrDefault();

    private static IEnumerable<byte[]> Messages(byte[] message, int field) =>
        Fields(message).Where(f => f.Number == field && f.WireType == 2).Select(f => f.Bytes);

    private readonly record struct Field(int Number, int WireType, ulong Varint, byte[] Bytes);

    /// <summary>Varint fields carry their value in Varint; fixed64 ones their raw bits; length-delimited ones their bytes.</summary>
    private static IEnumerable<Field> Fields(byte[] message)
    {
        var position = 0;
        while (position < message.Length)
        {
            var key = ReadVarint(message, ref position);
            var number = (int)(key >> 3);
            var wireType = (int)(key & 7);
            switch (wireType)
            {
                case 0:
                    yield return new Field(number, wireType, ReadVarint(message, ref position), []);
                    break;
                case 1:
                    yield return new Field(number, wireType, BinaryPrimitives.ReadUInt64LittleEndian(message.AsSpan(position, 8)), []);
                    position += 8;
                    break;
                case 2:
                    var length = (int)ReadVarint(message, ref position);
                    yield return new Field(number, wireType, 0, message.AsSpan(position, length).ToArray());
                    position += length;
                    break;
                case 5:
                    yield return new Field(number, wireType, BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(position, 4)), []);
                    position += 4;
                    break;
                default:
                    throw new FormatException($"Unexpected protobuf wire type {wireType} at byte {position}.");
            }
        }
    }

    private static ulong ReadVarint(byte[] message, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = message[position++];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
    }
}
