"""Names a JavaScript/TypeScript file may use without declaring them.

The global environment of JS is open-ended (browser, Node, workers, bundler-injected
names, test runners), so this list is chosen, not derived: the ECMAScript globals,
the browser and Node.js globals code commonly calls, and the globals of the common
test runners (Jest, Vitest, Mocha, Jasmine). A name outside this list, the file's
scopes and the repository index is what the hallucination check may flag as an
undefined call; the resolver offers these names at bare identifiers.
"""

from __future__ import annotations

ECMASCRIPT = """
globalThis Infinity NaN undefined eval isFinite isNaN parseFloat parseInt decodeURI
decodeURIComponent encodeURI encodeURIComponent escape unescape Object Function Boolean
Symbol Error AggregateError EvalError RangeError ReferenceError SyntaxError TypeError
URIError Number BigInt Math Date String RegExp Array Int8Array Uint8Array
Uint8ClampedArray Int16Array Uint16Array Int32Array Uint32Array Float32Array
Float64Array BigInt64Array BigUint64Array Map Set WeakMap WeakSet WeakRef
FinalizationRegistry ArrayBuffer SharedArrayBuffer DataView Atomics JSON Promise Reflect
Proxy Intl Iterator
"""

BROWSER = """
window self document navigator location history screen console alert confirm prompt
print fetch setTimeout clearTimeout setInterval clearInterval queueMicrotask
requestAnimationFrame cancelAnimationFrame requestIdleCallback cancelIdleCallback
structuredClone atob btoa localStorage sessionStorage indexedDB crypto performance URL
URLSearchParams Blob File FileReader FileList FormData Headers Request Response
AbortController AbortSignal Event EventTarget CustomEvent KeyboardEvent MouseEvent
PointerEvent ErrorEvent MessageEvent MessageChannel MessagePort BroadcastChannel Worker
SharedWorker WebSocket EventSource XMLHttpRequest TextEncoder TextDecoder ReadableStream
WritableStream TransformStream HTMLElement HTMLInputElement HTMLCanvasElement
HTMLDivElement HTMLFormElement HTMLButtonElement HTMLTemplateElement Element Node
NodeList Document DocumentFragment ShadowRoot Text Range Selection MutationObserver
IntersectionObserver ResizeObserver PerformanceObserver getComputedStyle matchMedia
getSelection scrollTo scrollBy open close postMessage addEventListener
removeEventListener dispatchEvent Image Audio Option CSS customElements DOMParser
XMLSerializer Notification caches CacheStorage ImageData ImageBitmap createImageBitmap
OffscreenCanvas Path2D WebGLRenderingContext WebGL2RenderingContext AudioContext
MediaStream MediaRecorder RTCPeerConnection Geolocation Clipboard ClipboardItem
DOMException DOMRect innerWidth innerHeight devicePixelRatio origin isSecureContext
reportError importScripts
"""

NODE = """
require module exports __dirname __filename process Buffer global setImmediate
clearImmediate
"""

TEST_RUNNERS = """
describe it test expect beforeEach afterEach beforeAll afterAll before after jest vi
suite context xit xdescribe fit fdescribe spyOn jasmine
"""

JS_GLOBALS: frozenset[str] = frozenset((ECMASCRIPT + BROWSER + NODE + TEST_RUNNERS).split())

JS_KEYWORDS: tuple[str, ...] = tuple("""
break case catch class const continue debugger default delete do else export extends
false finally for function if import in instanceof let new null return static super
switch this throw true try typeof var void while with yield async await of
""".split())

TS_KEYWORDS: tuple[str, ...] = JS_KEYWORDS + tuple("""
as interface type enum implements private protected public readonly declare abstract
keyof namespace satisfies infer is unique override
""".split())

# Members every object has (Object.prototype), and every function/class has.
OBJECT_MEMBERS: tuple[str, ...] = (
    "constructor", "hasOwnProperty", "isPrototypeOf", "propertyIsEnumerable",
    "toLocaleString", "toString", "valueOf",
)
FUNCTION_MEMBERS: tuple[str, ...] = ("name", "length", "prototype", "call", "apply", "bind")
