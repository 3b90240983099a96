/* The ingest kernels compiled: the same three functions as kernels/pure.py, which is the
 * reference (same arguments, results and errors; tests run both on the same tables).
 *
 *   split_frames(buf, pos)      RTSP interleaved frames at buf[pos:] (RFC 2326 §10.12)
 *   parse_rtp(data)             the fields of one RTP packet (RFC 3550 §5.1, §5.3.1)
 *   fragment_run(...)           consecutive FU-A / H.265 FU fragments up to the end one
 *
 * Sans-IO like the rest: bytes in, Python values out, no state kept here. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

static PyObject *malformed_packet; /* onvif_recorder.rtp.errors.MalformedPacket */

static inline uint32_t be32(const unsigned char *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline unsigned be16(const unsigned char *p) { return ((unsigned)p[0] << 8) | p[1]; }

/* split_frames(buf, pos) -> (list[(channel, payload)], new_pos) */
static PyObject *split_frames(PyObject *self, PyObject *args) {
    Py_buffer view;
    Py_ssize_t pos;
    if (!PyArg_ParseTuple(args, "y*n", &view, &pos)) return NULL;
    const unsigned char *buf = view.buf;
    Py_ssize_t len = view.len;
    PyObject *frames = PyList_New(0);
    if (frames == NULL) goto fail;
    if (pos < 0) pos = 0;
    while (pos < len) {
        Py_ssize_t at = pos;
        while (at < len && (buf[at] == '\r' || buf[at] == '\n')) at++; /* blank lines */
        if (at + 4 > len || buf[at] != '$') break;
        Py_ssize_t end = at + 4 + (Py_ssize_t)be16(buf + at + 2);
        if (end > len) break;
        PyObject *frame = Py_BuildValue("(iy#)", (int)buf[at + 1], (const char *)buf + at + 4,
                                        end - at - 4);
        if (frame == NULL || PyList_Append(frames, frame) < 0) {
            Py_XDECREF(frame);
            goto fail;
        }
        Py_DECREF(frame);
        pos = end;
    }
    PyBuffer_Release(&view);
    return Py_BuildValue("(Nn)", frames, pos);
fail:
    Py_XDECREF(frames);
    PyBuffer_Release(&view);
    return NULL;
}

static PyObject *malformed(const char *message) {
    PyErr_SetString(malformed_packet, message);
    return NULL;
}

/* parse_rtp(data) -> (pt, seq, ts, ssrc, payload, marker, csrc, (profile, ext) | None,
 * padding); messages exactly those of pure.parse_rtp. */
static PyObject *parse_rtp_buffer(const unsigned char *d, Py_ssize_t len) {
    if (len < 12) return malformed("RTP packet length is less than 12 bytes");
    if (d[0] >> 6 != 2) {
        PyErr_Format(malformed_packet, "RTP packet has version %d, not 2", d[0] >> 6);
        return NULL;
    }
    int count = d[0] & 0x0F;
    Py_ssize_t pos = 12 + 4 * (Py_ssize_t)count;
    if (pos > len) return malformed("RTP packet has truncated CSRC");
    PyObject *csrc = PyTuple_New(count);
    if (csrc == NULL) return NULL;
    for (int i = 0; i < count; i++) {
        PyObject *value = PyLong_FromUnsignedLong(be32(d + 12 + 4 * i));
        if (value == NULL) goto fail_csrc;
        PyTuple_SET_ITEM(csrc, i, value);
    }
    PyObject *extension = Py_None;
    Py_INCREF(extension);
    if (d[0] & 0x10) {
        Py_DECREF(extension);
        if (pos + 4 > len) {
            malformed("RTP packet has truncated extension profile / length");
            goto fail_csrc;
        }
        Py_ssize_t end = pos + 4 + 4 * (Py_ssize_t)be16(d + pos + 2);
        if (end > len) {
            malformed("RTP packet has truncated extension value");
            goto fail_csrc;
        }
        extension = Py_BuildValue("(Iy#)", be16(d + pos), (const char *)d + pos + 4,
                                  end - pos - 4);
        if (extension == NULL) goto fail_csrc;
        pos = end;
    }
    Py_ssize_t end = len;
    int padding = 0;
    if (d[0] & 0x20) {
        if (len == pos) {
            malformed("RTP packet padding length is missing");
            goto fail_ext;
        }
        padding = d[len - 1];
        if (padding == 0 || padding > len - pos) {
            PyErr_Format(malformed_packet, "RTP packet padding length %d is invalid", padding);
            goto fail_ext;
        }
        end = len - padding;
    }
    return Py_BuildValue("(iIkky#ONNi)", d[1] & 0x7F, be16(d + 2), (unsigned long)be32(d + 4),
                         (unsigned long)be32(d + 8), (const char *)d + pos, end - pos,
                         (d[1] & 0x80) ? Py_True : Py_False, csrc, extension, padding);
fail_ext:
    Py_DECREF(extension);
fail_csrc:
    Py_DECREF(csrc);
    return NULL;
}

static PyObject *parse_rtp(PyObject *self, PyObject *arg) {
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) return NULL;
    PyObject *result = parse_rtp_buffer(view.buf, view.len);
    PyBuffer_Release(&view);
    return result;
}

enum { CODEC_H264 = 0, CODEC_H265 = 1 };

enum { END_NONE = 0, END_FRAGMENT = 1, END_MARKER = 2 };

/* The FU header of an FU-A (RFC 6184 §5.8) / H.265 FU (RFC 7798 §4.4.3) packet with a
 * fragment type the RFCs allow, V=2 without P/X/CC, that payload type, number and SSRC;
 * or -1, exactly as pure._fu_header. */
static int fu_header(const unsigned char *d, Py_ssize_t len, int codec, int payload_type,
                     unsigned seq, uint32_t ssrc) {
    if (len < 15 || d[0] != 0x80) return -1;
    if (payload_type >= 0 && (d[1] & 0x7F) != payload_type) return -1;
    if (be16(d + 2) != seq || be32(d + 8) != ssrc) return -1;
    const unsigned char *p = d + 12;
    if (p[0] & 0x80) return -1;
    if (codec == CODEC_H264) {
        unsigned kind = p[1] & 0x1F;
        if ((p[0] & 0x1F) != 28 || kind == 0 || (kind >= 24 && kind <= 29)) return -1;
        return p[1];
    }
    if (((p[0] >> 1) & 0x3F) != 49 || (p[2] & 0x3F) >= 48) return -1;
    return p[2];
}

/* Whether a packet continues the open fragment as pure._continues decides it; *end says
 * whether it is the end fragment (END_FRAGMENT, END_MARKER with the marker bit). */
static int continues(const unsigned char *d, Py_ssize_t len, int codec, int payload_type,
                     unsigned seq, uint32_t timestamp, uint32_t ssrc, int *end) {
    int fu = fu_header(d, len, codec, payload_type, seq, ssrc);
    if (fu < 0 || (fu & 0x80) || be32(d + 4) != timestamp) return 0;
    int marker = (d[1] & 0x80) != 0;
    if (!(fu & 0x40)) {
        if (marker) return 0; /* a marker before the end */
        *end = END_NONE;
    } else {
        *end = marker ? END_MARKER : END_FRAGMENT;
    }
    return 1;
}

/* fragment_run(packets, start, codec, payload_type, ssrc, timestamp, seq, room)
 *   -> (count, octets, data, end); a negative timestamp: the run opens the fragment. */
static PyObject *fragment_run(PyObject *self, PyObject *args) {
    PyObject *packets;
    Py_ssize_t start, room;
    int codec, payload_type;
    unsigned long ssrc;
    long long timestamp;
    unsigned int seq;
    if (!PyArg_ParseTuple(args, "O!niikLIn", &PyList_Type, &packets, &start, &codec,
                          &payload_type, &ssrc, &timestamp, &seq, &room))
        return NULL;
    if (codec != CODEC_H264 && codec != CODEC_H265)
        return PyErr_Format(PyExc_ValueError, "unknown fragment codec %d", codec);
    Py_ssize_t n = PyList_GET_SIZE(packets), i = start < 0 ? 0 : start, total = 0, octets = 0;
    Py_ssize_t opened = 0, offset = codec == CODEC_H264 ? 14 : 15;
    int end = END_NONE;
    seq &= 0xFFFF;
    if (timestamp < 0) {
        PyObject *first = i < n ? PyList_GET_ITEM(packets, i) : NULL;
        if (first == NULL || !PyBytes_CheckExact(first))
            return Py_BuildValue("(nny#i)", (Py_ssize_t)0, (Py_ssize_t)0, "", (Py_ssize_t)0,
                                 END_NONE);
        const unsigned char *d = (const unsigned char *)PyBytes_AS_STRING(first);
        Py_ssize_t len = PyBytes_GET_SIZE(first);
        int fu = fu_header(d, len, codec, payload_type, seq, (uint32_t)ssrc);
        if (fu < 0 || (fu & 0xC0) != 0x80 || (d[1] & 0x80))
            return Py_BuildValue("(nny#i)", (Py_ssize_t)0, (Py_ssize_t)0, "", (Py_ssize_t)0,
                                 END_NONE);
        timestamp = be32(d + 4);
        opened = 1;
        octets = len;
        seq = (seq + 1) & 0xFFFF;
        i++;
    }
    Py_ssize_t stop = i;
    while (stop < n) { /* first pass: how many, and the size */
        PyObject *item = PyList_GET_ITEM(packets, stop);
        if (!PyBytes_CheckExact(item)) break;
        const unsigned char *d = (const unsigned char *)PyBytes_AS_STRING(item);
        Py_ssize_t len = PyBytes_GET_SIZE(item);
        int this_end = END_NONE;
        if (!continues(d, len, codec, payload_type, seq, (uint32_t)timestamp, (uint32_t)ssrc,
                       &this_end) || total + (len - offset) > room)
            break;
        total += len - offset;
        octets += len;
        seq = (seq + 1) & 0xFFFF;
        stop++;
        if (this_end != END_NONE) {
            end = this_end;
            break;
        }
    }
    PyObject *data = PyBytes_FromStringAndSize(NULL, total);
    if (data == NULL) return NULL;
    char *out = PyBytes_AS_STRING(data);
    Py_ssize_t count = opened + (stop - i);
    for (; i < stop; i++) { /* second pass: copy */
        PyObject *item = PyList_GET_ITEM(packets, i);
        Py_ssize_t len = PyBytes_GET_SIZE(item) - offset;
        memcpy(out, PyBytes_AS_STRING(item) + offset, (size_t)len);
        out += len;
    }
    return Py_BuildValue("(nnNi)", count, octets, data, end);
}

static PyMethodDef methods[] = {
    {"split_frames", split_frames, METH_VARARGS,
     "split_frames(buf, pos): the complete interleaved frames at buf[pos:], and the new pos"},
    {"parse_rtp", parse_rtp, METH_O, "parse_rtp(data): the fields of one RTP packet"},
    {"fragment_run", fragment_run, METH_VARARGS,
     "fragment_run(packets, start, codec, payload_type, ssrc, timestamp, seq, room): "
     "(count, octets, data, end) of the FU fragments from packets[start] up to the end one"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "onvif_recorder.rtp.kernels._native",
    "The ingest kernels compiled (see kernels/pure.py, the reference).", -1, methods,
};

PyMODINIT_FUNC PyInit__native(void) {
    PyObject *errors = PyImport_ImportModule("onvif_recorder.rtp.errors");
    if (errors == NULL) return NULL;
    malformed_packet = PyObject_GetAttrString(errors, "MalformedPacket");
    Py_DECREF(errors);
    if (malformed_packet == NULL) return NULL;
    return PyModule_Create(&module);
}
