// tlog_interop checks blockd's transparency log against Go's independent
// implementation (golang.org/x/mod/sumdb/note and sumdb/tlog), and makes a
// log, checkpoint and proof with them for blockd to check.
//
//	tlog_interop verify VKEY LOGDIR LIST   blockrules' log and LIST's proof files
//	tlog_interop make ORIGIN OUTDIR LIST   a Go-made log holding LIST: OUTDIR/log.vkey,
//	                                       LIST.tlog-proof, LIST.tlog-consistency, OUTDIR/seen
package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func die(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "tlog_interop: "+format+"\n", args...)
	os.Exit(1)
}

// tree keeps Go's stored hashes of a log's records.
type tree struct {
	stored []tlog.Hash
	n      int64
}

func (t *tree) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		if x >= int64(len(t.stored)) {
			return nil, fmt.Errorf("no stored hash %d", x)
		}
		out[i] = t.stored[x]
	}
	return out, nil
}

func (t *tree) add(record []byte) {
	hs, err := tlog.StoredHashes(t.n, record, t)
	if err != nil {
		die("stored hashes: %v", err)
	}
	t.stored = append(t.stored, hs...)
	t.n++
}

func (t *tree) root(n int64) tlog.Hash {
	h, err := tlog.TreeHash(n, t)
	if err != nil {
		die("tree hash: %v", err)
	}
	return h
}

// tilePath writes a C2SP tlog-tiles path (the x-prefixed groups of three digits).
func tilePath(level string, n int64, w int) string {
	s := fmt.Sprintf("%d", n)
	for len(s)%3 != 0 {
		s = "0" + s
	}
	var parts []string
	for i := 0; i < len(s); i += 3 {
		if i+3 < len(s) {
			parts = append(parts, "x"+s[i:i+3])
		} else {
			parts = append(parts, s[i:i+3])
		}
	}
	p := "tile/" + level + "/" + strings.Join(parts, "/")
	if w < 256 {
		p += fmt.Sprintf(".p/%d", w)
	}
	return p
}

type checkpoint struct {
	origin string
	size   int64
	root   tlog.Hash
}

func parseCheckpoint(text string) checkpoint {
	lines := strings.SplitN(text, "\n", 4)
	if len(lines) < 4 {
		die("checkpoint: fewer than three lines")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		die("checkpoint size: %v", err)
	}
	raw, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(raw) != 32 {
		die("checkpoint root: %v", err)
	}
	var c checkpoint
	c.origin, c.size = lines[0], size
	copy(c.root[:], raw)
	return c
}

func readFile(path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		die("%v", err)
	}
	return b
}

func hashLines(lines []string) []tlog.Hash {
	var out []tlog.Hash
	for _, l := range lines {
		raw, err := base64.StdEncoding.DecodeString(l)
		if err != nil || len(raw) != 32 {
			die("proof hash %q", l)
		}
		var h tlog.Hash
		copy(h[:], raw)
		out = append(out, h)
	}
	return out
}

func verify(vkeyPath, dir, list string) {
	v, err := note.NewVerifier(strings.TrimSpace(string(readFile(vkeyPath))))
	if err != nil {
		die("%s: %v", vkeyPath, err)
	}
	n, err := note.Open(readFile(dir+"/checkpoint"), note.VerifierList(v))
	if err != nil {
		die("%s/checkpoint: note.Open: %v", dir, err)
	}
	cp := parseCheckpoint(n.Text)
	if cp.origin != v.Name() {
		die("origin %q is not the key's name %q", cp.origin, v.Name())
	}
	// Every entry from the bundles, hashed by Go; the level 0 tiles must hold the same.
	var t tree
	for b := int64(0); b*256 < cp.size; b++ {
		w := int(cp.size - b*256)
		if w > 256 {
			w = 256
		}
		data := readFile(dir + "/" + tilePath("entries", b, w))
		tile := readFile(dir + "/" + tilePath("0", b, w))
		for i := 0; i < w; i++ {
			if len(data) < 2 {
				die("bundle %d cut short", b)
			}
			l := int(data[0])<<8 | int(data[1])
			rec := data[2 : 2+l]
			data = data[2+l:]
			h := tlog.RecordHash(rec)
			if !bytes.Equal(h[:], tile[32*i:32*i+32]) {
				die("tile/0 hash %d is not Go's record hash", b*256+int64(i))
			}
			t.add(rec)
		}
		if len(data) != 0 {
			die("bundle %d: bytes after its entries", b)
		}
	}
	if t.root(cp.size) != cp.root {
		die("Go's tree hash of the entries is not the checkpoint's root")
	}
	// The list's proof file: its checkpoint, its inclusion proof.
	pf := string(readFile(list + ".tlog-proof"))
	parts := strings.SplitN(pf, "\n\n", 2)
	head := strings.Split(parts[0], "\n")
	if head[0] != "c2sp.org/tlog-proof@v1" || !strings.HasPrefix(head[1], "index ") {
		die("proof file header")
	}
	idx, _ := strconv.ParseInt(strings.TrimPrefix(head[1], "index "), 10, 64)
	pn, err := note.Open([]byte(parts[1]), note.VerifierList(v))
	if err != nil {
		die("proof's checkpoint: %v", err)
	}
	pcp := parseCheckpoint(pn.Text)
	// The leaf as Go computes it from the list and its signature files.
	leaf := tlog.RecordHash(entry(list))
	if err := tlog.CheckRecord(tlog.RecordProof(hashLines(head[2:])), pcp.size, pcp.root, idx, leaf); err != nil {
		die("inclusion proof of leaf %d: CheckRecord: %v", idx, err)
	}
	// Each consistency proof shipped beside it.
	cons := string(readFile(list + ".tlog-consistency"))
	checked := 0
	for _, block := range strings.Split(strings.TrimSuffix(cons, "\n\n"), "\n\n") {
		if block == "" {
			continue
		}
		ls := strings.Split(strings.TrimSuffix(block, "\n"), "\n")
		old, _ := strconv.ParseInt(strings.TrimPrefix(ls[0], "old "), 10, 64)
		if err := tlog.CheckTree(tlog.TreeProof(hashLines(ls[1:])), pcp.size, pcp.root, old, t.root(old)); err != nil {
			die("consistency from %d: CheckTree: %v", old, err)
		}
		checked++
	}
	fmt.Printf("go verified: %s leaf %d of %d, %d records, %d consistency proofs\n", list, idx, pcp.size, t.n, checked)
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// entry writes the list's log entry as blockd defines it, from the list's header.
func entry(list string) []byte {
	raw := readFile(list)
	fields := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() && sc.Text() != "" {
		kv := strings.SplitN(sc.Text(), " ", 2)
		if len(kv) == 2 {
			fields[kv[0]] = kv[1]
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "blockd-list/v1\nserial %s\nissuer %s\nscope %s\nissued %s\nlist sha256:%s\n",
		fields["serial"], fields["issuer"], fields["scope"], fields["issued"], sha(raw))
	for i := 1; i <= 16; i++ {
		p := list + ".minisig"
		if i > 1 {
			p = fmt.Sprintf("%s.minisig.%d", list, i)
		}
		s, err := os.ReadFile(p)
		if err != nil {
			break
		}
		fmt.Fprintf(&b, "signature sha256:%s\n", sha(s))
	}
	return []byte(b.String())
}

func signed(t *tree, n int64, s note.Signer) []byte {
	h := t.root(n)
	text := fmt.Sprintf("%s\n%d\n%s\n", s.Name(), n, base64.StdEncoding.EncodeToString(h[:]))
	msg, err := note.Sign(&note.Note{Text: text}, s)
	if err != nil {
		die("sign: %v", err)
	}
	return msg
}

func write(path string, b []byte) {
	if err := os.WriteFile(path, b, 0644); err != nil {
		die("%v", err)
	}
}

func makeLog(origin, out, list string) {
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		die("generate key: %v", err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		die("signer: %v", err)
	}
	var t tree
	for i := 0; i < 5; i++ {
		t.add([]byte(fmt.Sprintf("another record %d\n", i)))
	}
	seen := signed(&t, t.n, s)
	idx := t.n
	t.add(entry(list))
	for i := 0; i < 3; i++ {
		t.add([]byte(fmt.Sprintf("a later record %d\n", i)))
	}
	cp := signed(&t, t.n, s)
	rp, err := tlog.ProveRecord(t.n, idx, &t)
	if err != nil {
		die("prove record: %v", err)
	}
	var pf strings.Builder
	fmt.Fprintf(&pf, "c2sp.org/tlog-proof@v1\nindex %d\n", idx)
	for _, h := range rp {
		fmt.Fprintf(&pf, "%s\n", base64.StdEncoding.EncodeToString(h[:]))
	}
	pf.WriteString("\n")
	pf.Write(cp)
	tp, err := tlog.ProveTree(t.n, 5, &t)
	if err != nil {
		die("prove tree: %v", err)
	}
	var cf strings.Builder
	fmt.Fprintf(&cf, "old 5\n")
	for _, h := range tp {
		fmt.Fprintf(&cf, "%s\n", base64.StdEncoding.EncodeToString(h[:]))
	}
	cf.WriteString("\n")
	write(list+".tlog-proof", []byte(pf.String()))
	write(list+".tlog-consistency", []byte(cf.String()))
	write(out+"/log.vkey", []byte(vkey+"\n"))
	write(out+"/seen", seen)
	// The same size signed over another tree: a split view for blockd to refuse.
	var other tree
	for i := int64(0); i < t.n; i++ {
		other.add([]byte(fmt.Sprintf("forked record %d\n", i)))
	}
	write(out+"/fork", signed(&other, t.n, s))
	fmt.Printf("go made: %s leaf %d of %d\n", list, idx, t.n)
}

func main() {
	if len(os.Args) != 5 {
		die("usage: tlog_interop verify VKEY LOGDIR LIST | make ORIGIN OUTDIR LIST")
	}
	switch os.Args[1] {
	case "verify":
		verify(os.Args[2], os.Args[3], os.Args[4])
	case "make":
		makeLog(os.Args[2], os.Args[3], os.Args[4])
	default:
		die("unknown mode %q", os.Args[1])
	}
}
