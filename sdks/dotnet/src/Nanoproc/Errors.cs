// The exceptions: one class per nanoproc_error_kind, each carrying the C ABI's one-line message.
using System;
using System.Threading;

namespace Nanoproc
{
    /// <summary>What went wrong, by cause: the C ABI's <c>nanoproc_error_kind</c> (stable numbers).</summary>
    public enum ErrorKind
    {
        /// <summary>Not a valid WebAssembly module or component, or not a plugin.</summary>
        InvalidModule = 1,
        /// <summary>A policy value or policy file is invalid.</summary>
        InvalidPolicy = 2,
        /// <summary>A value for a typed call does not match its type.</summary>
        InvalidInput = 3,
        /// <summary>The guest hit its memory budget.</summary>
        MemoryLimit = 4,
        /// <summary>The guest hit its output limit.</summary>
        OutputLimit = 5,
        /// <summary>The guest ran past its wall-clock limit.</summary>
        TimeLimit = 6,
        /// <summary>The guest ran out of fuel.</summary>
        FuelLimit = 7,
        /// <summary>The guest trapped (unreachable, out of bounds, stack overflow, ...).</summary>
        Trap = 8,
        /// <summary>The plugin broke the plugin ABI, or a missing function was called.</summary>
        AbiViolation = 9,
        /// <summary>A host function failed; the call that used it was stopped.</summary>
        HostFunction = 10,
        /// <summary>The plugin reported a failure itself.</summary>
        Plugin = 11,
        /// <summary>The host cancelled the call.</summary>
        Cancelled = 12,
        /// <summary>The guest needs a capability its policy does not grant.</summary>
        Denied = 13,
        /// <summary>A host-side I/O failure (reading the module, a preopened directory).</summary>
        IO = 14,
        /// <summary>The host ran short of something no sandbox limit covers (pool slots, nesting).</summary>
        HostExhausted = 15,
        /// <summary>A bug in nanoproc or an unexpected engine failure.</summary>
        Internal = 16,
        /// <summary>The caller broke the API's rules (a busy instance, a bad host function name, ...).</summary>
        InvalidArgument = 17,
        /// <summary>
        /// The binary failed its policy's integrity check (not signed, signed by no trusted key,
        /// modified after signing, sha256 not pinned), or a run receipt did not verify.
        /// </summary>
        Integrity = 18,
    }

    /// <summary>
    /// What every nanoproc error carries, cancellation included (which is an
    /// <see cref="OperationCanceledException"/>, not a <see cref="NanoprocException"/>).
    /// </summary>
    public interface INanoprocError
    {
        /// <summary>The cause.</summary>
        ErrorKind Kind { get; }
        /// <summary>One line, <c>kind: detail</c>: what was violated and how to allow it.</summary>
        string Message { get; }
        /// <summary>The message without its <c>kind: </c> prefix.</summary>
        string Detail { get; }
        /// <summary>The exit code the <c>nanoproc</c> CLI uses for this error (docs/cli.md).</summary>
        int ExitCode { get; }
    }

    /// <summary>
    /// A nanoproc failure. <see cref="Exception.Message"/> is the C ABI's one line
    /// (<c>kind: detail</c>), in the same words as the CLI and the Rust API. Each
    /// <see cref="ErrorKind"/> has its own subclass; catch the cause, never match the text.
    /// </summary>
    public class NanoprocException : Exception, INanoprocError
    {
        /// <summary>A nanoproc error of <paramref name="kind"/>.</summary>
        public NanoprocException(ErrorKind kind, string message, string detail, int exitCode)
            : base(message)
        {
            Kind = kind;
            Detail = detail;
            ExitCode = exitCode;
        }

        /// <inheritdoc/>
        public ErrorKind Kind { get; private set; }
        /// <inheritdoc/>
        public string Detail { get; private set; }
        /// <inheritdoc/>
        public int ExitCode { get; private set; }

        /// <summary>Reads, frees and converts a C error object.</summary>
        internal static Exception Take(IntPtr error, CancellationToken token)
        {
            var kind = (ErrorKind)Native.nanoproc_error_get_kind(error);
            var message = Native.FromUtf8z(Native.nanoproc_error_message(error)) ?? kind.ToString();
            var detail = Native.FromUtf8z(Native.nanoproc_error_detail(error)) ?? message;
            var exit = Native.nanoproc_error_exit_code(error);
            Native.nanoproc_error_free(error);
            return Create(kind, message, detail, exit, token);
        }

        /// <summary>The exception class for <paramref name="kind"/>.</summary>
        internal static Exception Create(ErrorKind kind, string message, string detail, int exit, CancellationToken token)
        {
            switch (kind)
            {
                case ErrorKind.InvalidModule: return new InvalidModuleException(message, detail, exit);
                case ErrorKind.InvalidPolicy: return new PolicyException(message, detail, exit);
                case ErrorKind.InvalidInput: return new InvalidInputException(message, detail, exit);
                case ErrorKind.MemoryLimit: return new MemoryLimitException(message, detail, exit);
                case ErrorKind.OutputLimit: return new OutputLimitException(message, detail, exit);
                case ErrorKind.TimeLimit: return new TimeLimitException(message, detail, exit);
                case ErrorKind.FuelLimit: return new FuelLimitException(message, detail, exit);
                case ErrorKind.Trap: return new TrapException(message, detail, exit);
                case ErrorKind.AbiViolation: return new AbiViolationException(message, detail, exit);
                case ErrorKind.HostFunction: return new HostFunctionException(message, detail, exit);
                case ErrorKind.Plugin: return new PluginException(message, detail, exit);
                case ErrorKind.Cancelled: return new CancelledException(message, detail, exit, token);
                case ErrorKind.Denied: return new DeniedException(message, detail, exit);
                case ErrorKind.IO: return new NanoprocIOException(message, detail, exit);
                case ErrorKind.HostExhausted: return new HostExhaustedException(message, detail, exit);
                case ErrorKind.InvalidArgument: return new InvalidArgumentException(message, detail, exit);
                case ErrorKind.Integrity: return new IntegrityException(message, detail, exit);
                default: return new InternalException(message, detail, exit);
            }
        }

        /// <summary>An API-misuse error raised by the SDK itself (exit code 2, like the C ABI's).</summary>
        internal static InvalidArgumentException Argument(string detail)
        {
            return new InvalidArgumentException("invalid argument: " + detail, detail, 2);
        }
    }

    /// <summary>Not a valid WebAssembly module or component, or not a plugin (exit code 125).</summary>
    public class InvalidModuleException : NanoprocException
    {
        /// <summary>Made by the SDK from a C error.</summary>
        public InvalidModuleException(string message, string detail, int exitCode) : base(ErrorKind.InvalidModule, message, detail, exitCode) { }
    }

    /// <summary>A policy value or policy file is invalid; the message names the value (exit code 125).</summary>
    public class PolicyException : NanoprocException
    {
        /// <summary>Made by the SDK from a C error.</summary>
        public PolicyException(string message, string detail, int exitCode) : base(ErrorKind.InvalidPolicy, message, detail, exitCode) { }
    }

    /// <summary>A value for a typed call does not match its type (exit code 125).</summary>
    public class InvalidInputException : NanoprocException
    {
        /// <summary>Made by the SDK from a C error.</summary>
        public InvalidInputException(string message, string detail, int exitCode) : base(ErrorKind.InvalidInput, message, detail, exitCode) { }
    }

    /// <summary>The guest hit one of its limits: memory, output, time or fuel.</summary>
    public abstract class LimitExceededException : NanoprocException
    {
        /// <summary>Made by the SDK from a C error.</summary>
        protected LimitExceededException(ErrorKind kind, string message, string detail, int exitCode) : base(kind, message, detail, exitCode) { }
    }

    /// <summary>The guest hit its memory budget (exit code 121).</summary>
    public class MemoryLimitException : LimitExceededException
    {
        /// <summary>Made by the SDK from a C error.</summary>
        public MemoryLimitException(string message, string detail, int exitCode) : base(ErrorKind.MemoryLimit, message, detail, exitCode) { }
    }

    /// <summary>The guest hit its output limit (exit code 122).</summary>
    public class OutputLimitException : LimitExceededException
    {
        /// <summary>Made by the SDK from a C error.</summary>
        public OutputLimitException(string message, string detail, int exitCode) : base(ErrorKind.OutputLimit, message, detail, exitCode) { }
    }

    /// <summary>The guest ran past its wall-clock limit (exit code 124).</summary>
    public class TimeLimitException : LimitExceededException
    {
        /// <summary>Made by the SDK from a C error.</summary>
        public TimeLimitException(string message, string detail, int exitCode) : base(ErrorKind.TimeLimit, message, detail, exitCode) { }
    }

    /// <summary>The guest ran out of fuel (exit code 124).</summary>
    public class FuelLimitException : LimitExceededException
    {
        /// <summary>Made by the SDK from a C error.</summary>
        public FuelLimitException(string message, string detail, int exitCode) : base(ErrorKind.FuelLimit, message, detail, exitCode) { }
    }

    /// <summary>The guest trapped: unreachable, out of bounds, stack overflow, ... (exit code 123).</summary>
    public class TrapException : NanoprocException
    {
        /// <summary>Made by the SDK from a C error.</summary>
        public TrapException(string message, string detail, int exitCode) : base(ErrorKind.Trap, message, detail, exitCode) { }
    }

    /// <summary>The plugin broke the plugin ABI (docs/abi.md), or a missing function was called (exit code 123).</summary>
    public class AbiViolationException : NanoprocException
    {
        /// <summary>Made by the SDK from a C error.</summary>
        public AbiViolationException(string message, string detail, int exitCode) : base(ErrorKind.AbiViolation, message, detail, exitCode) { }
    }

    /// <summary>
    /// A host function failed (returned an error, or a C# host function threw); the plugin call
    /// that used it was stopped (exit code 123).
    /// </summary>
    public class HostFunctionException : NanoprocException
    {
        /// <summary>Made by the SDK from a C error.</summary>
        public HostFunctionException(string message, string detail, int exitCode) : base(ErrorKind.HostFunction, message, detail, exitCode) { }
    }

    /// <summary>The plugin reported a failure itself (<c>nanoproc::fail</c>; exit code 1).</summary>
    public class PluginException : NanoprocException
    {
        /// <summary>Made by the SDK from a C error.</summary>
        public PluginException(string message, string detail, int exitCode) : base(ErrorKind.Plugin, message, detail, exitCode) { }
    }

    /// <summary>
    /// The guest needs a capability its policy does not grant: an ungranted host function, an
    /// import no host provides (exit code 125).
    /// </summary>
    public class DeniedException : NanoprocException
    {
        /// <summary>Made by the SDK from a C error.</summary>
        public DeniedException(string message, string detail, int exitCode) : base(ErrorKind.Denied, message, detail, exitCode) { }
    }

    /// <summary>A host-side I/O failure: a missing .wasm, a policy file, a preopened directory (exit code 125).</summary>
    public class NanoprocIOException : NanoprocException
    {
        /// <summary>Made by the SDK from a C error.</summary>
        public NanoprocIOException(string message, string detail, int exitCode) : base(ErrorKind.IO, message, detail, exitCode) { }
    }

    /// <summary>The host ran short of something no sandbox limit covers: pool slots, nesting depth (exit code 120).</summary>
    public class HostExhaustedException : NanoprocException
    {
        /// <summary>Made by the SDK from a C error.</summary>
        public HostExhaustedException(string message, string detail, int exitCode) : base(ErrorKind.HostExhausted, message, detail, exitCode) { }
    }

    /// <summary>A bug in nanoproc or an unexpected engine failure (exit code 127).</summary>
    public class InternalException : NanoprocException
    {
        /// <summary>Made by the SDK from a C error.</summary>
        public InternalException(string message, string detail, int exitCode) : base(ErrorKind.Internal, message, detail, exitCode) { }
    }

    /// <summary>
    /// The binary failed its policy's integrity check, before it was compiled: not signed, signed
    /// by no trusted key (<see cref="Policy.TrustKeys"/>), modified after it was signed, or a
    /// sha256 the policy does not pin (<see cref="Policy.PinSha256"/>); or a run receipt did not
    /// verify (<see cref="Receipts.Verify"/>). Exit code 126.
    /// </summary>
    public class IntegrityException : NanoprocException
    {
        /// <summary>Made by the SDK from a C error.</summary>
        public IntegrityException(string message, string detail, int exitCode) : base(ErrorKind.Integrity, message, detail, exitCode) { }
    }

    /// <summary>
    /// The caller broke the API's rules: an instance busy with another call, a host function
    /// name without <c>::</c>, ... (exit code 2). A disposed handle is an
    /// <see cref="ObjectDisposedException"/> instead.
    /// </summary>
    public class InvalidArgumentException : NanoprocException
    {
        /// <summary>Made by the SDK from a C error.</summary>
        public InvalidArgumentException(string message, string detail, int exitCode) : base(ErrorKind.InvalidArgument, message, detail, exitCode) { }
    }

    /// <summary>
    /// The host cancelled the call: its <see cref="CancellationToken"/> fired, or
    /// <see cref="Plugin.Cancel"/> was called (exit code 124). An
    /// <see cref="OperationCanceledException"/>, as every cancellation in .NET, so it is not
    /// caught by <c>catch (NanoprocException)</c>; <see cref="OperationCanceledException.CancellationToken"/>
    /// is the call's token when that is what cancelled it.
    /// </summary>
    public class CancelledException : OperationCanceledException, INanoprocError
    {
        /// <summary>Made by the SDK from a C error.</summary>
        public CancelledException(string message, string detail, int exitCode, CancellationToken token)
            : base(message, token)
        {
            Detail = detail;
            ExitCode = exitCode;
        }

        /// <inheritdoc/>
        public ErrorKind Kind { get { return ErrorKind.Cancelled; } }
        /// <inheritdoc/>
        public string Detail { get; private set; }
        /// <inheritdoc/>
        public int ExitCode { get; private set; }
    }
}
