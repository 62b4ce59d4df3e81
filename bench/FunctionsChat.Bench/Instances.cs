namespace FunctionsChat.Bench;

/// <summary>
/// Where each request goes. Pinned: a member joins on instance (index mod N) and stays there, like a sticky front end.
/// Random: every request, the join included, goes to any instance of the list, as the Flex Consumption front end
/// sends each request to any instance with no affinity.
/// </summary>
public sealed class Instances(IReadOnlyList<Uri> urls, Spread spread)
{
    public IReadOnlyList<Uri> Urls => urls;

    public Uri ForJoin(int index) => spread == Spread.Pinned ? urls[index % urls.Count] : Any();

    public Uri For(JoinedMember member) => spread == Spread.Pinned ? member.Instance : Any();

    private Uri Any() => urls[Random.Shared.Next(urls.Count)];
}
