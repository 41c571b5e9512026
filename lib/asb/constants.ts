// Markers, letters and limits of the `.asb` text format, version 3.1
// (../shared/docs/asb-format.md; names follow the C tool's enc_text.c / dec_text.c).
import { ParticleType as P } from '../protocol/constants.js';

/** VERSION_LINE: the first 12 bytes of every file the official writer produces. */
export const VERSION_LINE = 'Version 3.1\n';
/** VERSION_PREFIX: `Version ` + 3 version bytes + LF is the whole accepted version line. */
export const VERSION_PREFIX = 'Version ';
/** VERSION_LINE_SIZE: the reader reads exactly this many bytes for the version line. */
export const VERSION_LINE_SIZE = 12;
/** Version strings the reader accepts; 3.0 is legacy (no escaping, no `*` lines). */
export const VERSION_3_0 = '3.0';
export const VERSION_3_1 = '3.1';

/** META_NAMESPACE: meta line naming the namespace (value escaped). */
export const META_NAMESPACE = '# namespace ';
/** META_FIRST_FILE: meta line marking the file that holds the global section. */
export const META_FIRST_FILE = '# first-file\n';
/**
 * ABORTED_PREFIX: how a writer that stopped early ends an .asb stream: `# ABORTED <why>`
 * (docs/pipelines.md). Our decoder and the official asrestore both refuse that line: among
 * the meta lines it is an unknown one, after them no block starts with `#`.
 */
export const ABORTED_PREFIX = '# ABORTED ';
/** MAX_META_LINE: longest meta line the C reader accepts (its buffer size, LF included). */
export const MAX_META_LINE = 1000;

/** Byte values the scanner compares against. */
export const LF = 0x0a; // end of every line
export const SP = 0x20; // the one separator
export const BACKSLASH = 0x5c; // escape byte in names (3.1 only)
export const HASH = 0x23; // `#` meta line
export const STAR = 0x2a; // `*` global line (sindex / UDF)
export const PLUS = 0x2b; // `+` record header line
export const MINUS = 0x2d; // `-` bin line
export const BANG = 0x21; // `!` after a label: compact (raw) bytes value

/** Global line types: `* i` secondary index, `* u` UDF module. */
export const GLOBAL_INDEX = 0x69; // 'i'
export const GLOBAL_UDF = 0x75; // 'u'

/** Record header letters in their fixed order (k and s optional). */
export const RECORD_LETTERS = 'kndsgtb';

/** Key type letters (`+ k <letter>`). X is read-only (base64 string, very old writers). */
export const KEY_INT = 0x49; // 'I'
export const KEY_DOUBLE = 0x44; // 'D'
export const KEY_STRING = 0x53; // 'S'
export const KEY_BYTES = 0x42; // 'B'
export const KEY_STRING_B64 = 0x58; // 'X'

/** Bin letters the C reader accepts (its strchr set); U (LDT) is accepted only to be rejected. */
export const BIN_LABELS = 'NIDSXGBJCPRHEYMLUZ';
/** The LDT label: a removed server feature, fatal when read. */
export const LABEL_LDT = 0x55; // 'U'
/** The base64-string label: read only, gives a string bin. */
export const LABEL_STRING_B64 = 0x58; // 'X'

/** BIN_LETTER: particle type -> bin label written by the encoder. */
export const BIN_LETTER: Readonly<Record<number, string>> = {
  [P.NULL]: 'N',
  [P.BOOL]: 'Z',
  [P.INTEGER]: 'I',
  [P.FLOAT]: 'D',
  [P.STRING]: 'S',
  [P.GEOJSON]: 'G',
  [P.BLOB]: 'B',
  [P.JAVA_BLOB]: 'J',
  [P.CSHARP_BLOB]: 'C',
  [P.PYTHON_BLOB]: 'P',
  [P.RUBY_BLOB]: 'R',
  [P.PHP_BLOB]: 'H',
  [P.ERLANG_BLOB]: 'E',
  [P.HLL]: 'Y',
  [P.MAP]: 'M',
  [P.LIST]: 'L',
};

/** LABEL_TYPE: bin label byte -> particle type (X reads as a string; U is absent on purpose). */
export const LABEL_TYPE: Readonly<Record<number, number>> = (() => {
  const m: Record<number, number> = {};
  for (const [type, letter] of Object.entries(BIN_LETTER)) m[letter.charCodeAt(0)] = Number(type);
  m[LABEL_STRING_B64] = P.STRING;
  return m;
})();

/** BYTES_TYPES: particle types of the bytes family: base64 by default, `<label>!` + raw in compact mode. */
export const BYTES_TYPES: ReadonlySet<number> = new Set([
  P.BLOB, P.JAVA_BLOB, P.CSHARP_BLOB, P.PYTHON_BLOB, P.RUBY_BLOB, P.PHP_BLOB, P.ERLANG_BLOB,
  P.HLL, P.MAP, P.LIST,
]);

/** Boolean bin values. */
export const BOOL_TRUE = 0x54; // 'T'
export const BOOL_FALSE = 0x46; // 'F'

/** Sindex index-type and path-type letters the reader accepts. */
export const INDEX_TYPES = 'NLKV';
export const PATH_TYPES = 'SNGB';
/** The only UDF type: Lua. */
export const UDF_TYPE_LUA = 'L';

/** MAX_TOKEN_SIZE: the C token buffer (terminator included), so tokens hold at most 999 bytes. */
export const MAX_TOKEN_SIZE = 1000;
/** Token buffers of the record namespace (as_namespace, 32) and set (as_set, 64) fields. */
export const NAMESPACE_TOKEN_SIZE = 32;
export const SET_TOKEN_SIZE = 64;
/** MAX_SIZE: largest length field the reader accepts (1024^5 bytes). */
export const MAX_SIZE = 1024 ** 5;
/** MAX_BYTES_SIZE: keys, blobs and UDF bodies are also limited to 2^32 - 1 bytes. */
export const MAX_BYTES_SIZE = 0xffffffff;
/** Generation and bin count are u16 on the wire. */
export const MAX_GENERATION = 65535;
export const MAX_BIN_COUNT = 65535;
/** Void times are u32 seconds since the Citrusleaf epoch. */
export const MAX_VOID_TIME = 0xffffffff;
/** DIGEST_B64_SIZE: a 20-byte digest is always 28 base64 characters. */
export const DIGEST_B64_SIZE = 28;
