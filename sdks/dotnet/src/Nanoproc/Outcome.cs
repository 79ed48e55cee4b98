using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Nanoproc
{
    /// <summary>What a run used.</summary>
    public sealed class Usage
    {
        /// <summary>Whether fuel was metered (then <see cref="FuelConsumed"/> is meaningful).</summary>
        public bool FuelMetered { get; internal set; }
        /// <summary>Fuel the guest used.</summary>
        public ulong FuelConsumed { get; internal set; }
        /// <summary>Peak bytes of all memories and tables together.</summary>
        public ulong PeakMemory { get; internal set; }
        /// <summary>Time from instantiation to exit.</summary>
        public TimeSpan WallTime { get; internal set; }
        /// <summary>Bytes the guest wrote to stdout.</summary>
        public ulong StdoutBytes { get; internal set; }
        /// <summary>Bytes the guest wrote to stderr.</summary>
        public ulong StderrBytes { get; internal set; }
        /// <summary>The most descriptors the guest held open at once.</summary>
        public ulong PeakFds { get; internal set; }
    }

    /// <summary>The result of <see cref="Engine.Run"/>: a plain value (the C outcome is read and freed at once).</summary>
    public sealed class Outcome
    {
        /// <summary>The guest's own exit status, or nanoproc's code for what stopped it (121 memory, 122 output, 123 trap, 124 time or fuel).</summary>
        public int ExitCode { get; private set; }
        /// <summary>Why nanoproc stopped the guest (a limit, a trap); null if it exited on its own.</summary>
        public NanoprocException Error { get; private set; }
        /// <summary>The captured stdout (empty unless the policy captures it).</summary>
        public byte[] Stdout { get; private set; }
        /// <summary>The captured stderr (empty unless the policy captures it).</summary>
        public byte[] Stderr { get; private set; }
        /// <summary>What the run used.</summary>
        public Usage Usage { get; private set; }
        /// <summary>The audit trail: what the guest was allowed and denied.</summary>
        public IList<AuditEvent> Events { get; private set; }
        /// <summary>The events that were refusals.</summary>
        public IList<AuditEvent> Denials { get; private set; }
        /// <summary>Events left out of <see cref="Events"/> (beyond what nanoproc keeps).</summary>
        public long EventsDropped { get; private set; }
        /// <summary>The whole outcome as one JSON object (what <c>nanoproc run --json</c> prints).</summary>
        public string Json { get; private set; }
        /// <summary>
        /// The signed run receipt (UTF-8 JSON, docs/integrity.md) when <see cref="Engine.Run"/> was
        /// given a <c>receiptKey</c>; null otherwise. Check it with <see cref="Receipts.Verify"/>
        /// or <c>nanoproc verify-receipt</c>.
        /// </summary>
        public byte[] Receipt { get; internal set; }

        /// <summary>The captured stdout as UTF-8 text.</summary>
        public string StdoutText { get { return Encoding.UTF8.GetString(Stdout); } }
        /// <summary>The captured stderr as UTF-8 text.</summary>
        public string StderrText { get { return Encoding.UTF8.GetString(Stderr); } }

        /// <summary>Throws <see cref="Error"/> if nanoproc stopped the guest.</summary>
        public void ThrowIfStopped()
        {
            if (Error != null) throw Error;
        }

        internal static Outcome Read(OutcomeHandle h)
        {
            var o = new Outcome { ExitCode = Native.nanoproc_outcome_exit_code(h) };
            var err = Native.nanoproc_outcome_error(h);
            if (err != IntPtr.Zero)
            {
                var e = NanoprocException.Take(err, default(System.Threading.CancellationToken));
                o.Error = e as NanoprocException ?? new InternalException("internal error: " + e.Message, e.Message, 127);
            }
            IntPtr data;
            UIntPtr len;
            Native.Check(Native.nanoproc_outcome_stdout(h, out data, out len));
            o.Stdout = Native.Copy(data, len);
            Native.Check(Native.nanoproc_outcome_stderr(h, out data, out len));
            o.Stderr = Native.Copy(data, len);
            NativeUsage u;
            Native.Check(Native.nanoproc_outcome_usage(h, out u));
            o.Usage = new Usage
            {
                FuelMetered = u.FuelMetered,
                FuelConsumed = u.FuelConsumed,
                PeakMemory = u.PeakMemoryBytes,
                WallTime = TimeSpan.FromTicks((long)u.WallTimeUs * 10),
                StdoutBytes = u.StdoutBytes,
                StderrBytes = u.StderrBytes,
                PeakFds = u.PeakFds,
            };
            o.Json = Native.FromUtf8z(Native.nanoproc_outcome_json(h)) ?? "{}";
            var obj = Nanoproc.Json.Parse(o.Json) as Dictionary<string, object>;
            o.Events = AuditEvent.ListFrom(obj != null && obj.ContainsKey("events") ? obj["events"] : null);
            o.Denials = AuditEvent.ListFrom(obj != null && obj.ContainsKey("denials") ? obj["denials"] : null);
            o.EventsDropped = obj != null ? Nanoproc.Json.Long(obj, "events_dropped") : 0;
            return o;
        }
    }

    /// <summary>
    /// One audit event: a capability used or refused, or a limit hit
    /// (<c>{"time_ms":..,"what":..,"target":..,"decision":..,"rule":..}</c>).
    /// </summary>
    public sealed class AuditEvent
    {
        /// <summary>When it happened (millisecond precision, UTC).</summary>
        public DateTimeOffset Time { get; private set; }
        /// <summary>The kind of capability: <c>fs.mount</c>, <c>fs.open</c>, <c>env</c>, <c>net.connect</c>, <c>host_fn</c>, <c>limit.memory</c>, <c>trap</c>, ...</summary>
        public string What { get; private set; }
        /// <summary>What it was about: a path, a variable, an address, a host function.</summary>
        public string Target { get; private set; }
        /// <summary><c>allowed</c> or <c>denied</c>.</summary>
        public string Decision { get; private set; }
        /// <summary>The rule that decided it, or how to change the decision.</summary>
        public string Rule { get; private set; }
        /// <summary>Whether it was a refusal.</summary>
        public bool Denied { get { return Decision == "denied"; } }

        /// <inheritdoc/>
        public override string ToString()
        {
            return string.Format(CultureInfo.InvariantCulture, "{0} {1} {2}: {3}", Decision, What, Target, Rule);
        }

        internal static AuditEvent From(Dictionary<string, object> o)
        {
            if (o == null) return null;
            return new AuditEvent
            {
                Time = DateTimeOffset.FromUnixTimeMilliseconds(Nanoproc.Json.Long(o, "time_ms")),
                What = Nanoproc.Json.Str(o, "what"),
                Target = Nanoproc.Json.Str(o, "target"),
                Decision = Nanoproc.Json.Str(o, "decision"),
                Rule = Nanoproc.Json.Str(o, "rule"),
            };
        }

        internal static IList<AuditEvent> ListFrom(object list)
        {
            var result = new List<AuditEvent>();
            var items = list as List<object>;
            if (items == null) return result;
            foreach (var item in items)
            {
                var e = From(item as Dictionary<string, object>);
                if (e != null) result.Add(e);
            }
            return result;
        }
    }

    /// <summary>
    /// A small JSON reader for what nanoproc itself produces (audit events, outcomes): objects,
    /// arrays, strings, numbers (as double), true/false/null. netstandard2.0 has no JSON library.
    /// </summary>
    internal sealed class Json
    {
        private readonly string s;
        private int i;

        private Json(string s) { this.s = s; }

        /// <summary>The value in <paramref name="text"/>; null if it is not valid JSON.</summary>
        public static object Parse(string text)
        {
            try
            {
                var p = new Json(text);
                var v = p.Value();
                p.Space();
                return p.i == text.Length ? v : null;
            }
            catch (FormatException)
            {
                return null;
            }
        }

        public static string Str(Dictionary<string, object> o, string key)
        {
            object v;
            return o.TryGetValue(key, out v) && v != null ? Convert.ToString(v, CultureInfo.InvariantCulture) : "";
        }

        public static long Long(Dictionary<string, object> o, string key)
        {
            object v;
            return o.TryGetValue(key, out v) && v is double ? (long)(double)v : 0;
        }

        private void Space()
        {
            while (i < s.Length && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
        }

        private char Peek()
        {
            Space();
            if (i >= s.Length) throw new FormatException("unexpected end of JSON");
            return s[i];
        }

        private void Expect(string word)
        {
            if (string.CompareOrdinal(s, i, word, 0, word.Length) != 0) throw new FormatException("bad JSON literal");
            i += word.Length;
        }

        private object Value()
        {
            var c = Peek();
            switch (c)
            {
                case '{':
                {
                    i++;
                    var o = new Dictionary<string, object>(StringComparer.Ordinal);
                    if (Peek() == '}') { i++; return o; }
                    while (true)
                    {
                        if (Peek() != '"') throw new FormatException("expected a key");
                        var key = String();
                        if (Peek() != ':') throw new FormatException("expected ':'");
                        i++;
                        o[key] = Value();
                        var d = Peek();
                        i++;
                        if (d == '}') return o;
                        if (d != ',') throw new FormatException("expected ',' or '}'");
                    }
                }
                case '[':
                {
                    i++;
                    var a = new List<object>();
                    if (Peek() == ']') { i++; return a; }
                    while (true)
                    {
                        a.Add(Value());
                        var d = Peek();
                        i++;
                        if (d == ']') return a;
                        if (d != ',') throw new FormatException("expected ',' or ']'");
                    }
                }
                case '"': return String();
                case 't': Expect("true"); return true;
                case 'f': Expect("false"); return false;
                case 'n': Expect("null"); return null;
                default:
                {
                    int start = i;
                    while (i < s.Length && "+-0123456789.eE".IndexOf(s[i]) >= 0) i++;
                    double d;
                    if (start == i || !double.TryParse(s.Substring(start, i - start), NumberStyles.Float, CultureInfo.InvariantCulture, out d))
                        throw new FormatException("bad JSON number");
                    return d;
                }
            }
        }

        private string String()
        {
            i++; // opening quote
            var sb = new StringBuilder();
            while (true)
            {
                if (i >= s.Length) throw new FormatException("unterminated JSON string");
                var c = s[i++];
                if (c == '"') return sb.ToString();
                if (c != '\\') { sb.Append(c); continue; }
                if (i >= s.Length) throw new FormatException("bad JSON escape");
                var e = s[i++];
                switch (e)
                {
                    case '"': sb.Append('"'); break;
                    case '\\': sb.Append('\\'); break;
                    case '/': sb.Append('/'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'n': sb.Append('\n'); break;
                    case 'r': sb.Append('\r'); break;
                    case 't': sb.Append('\t'); break;
                    case 'u':
                        if (i + 4 > s.Length) throw new FormatException("bad JSON escape");
                        sb.Append((char)int.Parse(s.Substring(i, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                        i += 4;
                        break;
                    default: throw new FormatException("bad JSON escape");
                }
            }
        }
    }
}
