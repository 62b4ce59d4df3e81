using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;

namespace FunctionsChat.Http;

/// <summary>
/// The address a request is counted under: the connection's remote address, never a header the caller wrote.
/// In Azure the platform's front end appends the caller's address to X-Forwarded-For, the Functions host passes the
/// request on to this worker over loopback, and the worker's ASP.NET Core integration (ForwardedHeadersMiddleware,
/// trusting loopback only, ForwardLimit 1) sets RemoteIpAddress from the last X-Forwarded-For entry. What it leaves in
/// the header are the entries it did not take, the ones the caller sent, so reading the header here would trust the
/// caller. DevServer calls the functions on its own connections: there it is the TCP peer, whatever headers say.
/// </summary>
public static class ClientAddress
{
    /// <summary>Requests without a remote address (an in-process test host) share this one.</summary>
    public const string Unknown = "unknown";

    public static string Of(HttpRequest request) => KeyFor(request.HttpContext.Connection.RemoteIpAddress);

    /// <summary>
    /// IPv4 as is (also when it arrives IPv4-mapped); IPv6 by its /64, the block one subscriber is usually given, so
    /// walking through the addresses of one's own block gains nothing.
    /// </summary>
    internal static string KeyFor(IPAddress? address)
    {
        if (address is null)
        {
            return Unknown;
        }
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }
        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return $"{new IPAddress(bytes)}/64";
    }
}
