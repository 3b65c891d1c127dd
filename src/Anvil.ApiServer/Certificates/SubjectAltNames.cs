using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;

namespace Anvil.ApiServer.Certificates;

/// <summary>How many names of each kind a request's subjectAltName extension asks for.</summary>
internal sealed record SubjectAltNames(int Dns, int Email, int Ip, int Uri)
{
    public const string Oid = "2.5.29.17";

    public static SubjectAltNames Of(IEnumerable<X509Extension> extensions)
    {
        int dns = 0, email = 0, ip = 0, uri = 0;
        foreach (var ext in extensions.Where(e => e.Oid?.Value == Oid))
        {
            var reader = new AsnReader(ext.RawData, AsnEncodingRules.DER).ReadSequence();
            while (reader.HasData)
            {
                var tag = reader.PeekTag();
                reader.ReadEncodedValue();
                if (tag.TagClass != TagClass.ContextSpecific) continue;
                switch (tag.TagValue)
                {
                    case 1: email++; break;
                    case 2: dns++; break;
                    case 6: uri++; break;
                    case 7: ip++; break;
                }
            }
        }
        return new SubjectAltNames(dns, email, ip, uri);
    }
}
