package kio

import "testing"

func TestCommentStart(t *testing.T) {
	tests := []struct {
		line string
		want int // the index of the comment's '#', or -1
	}{
		{"# a comment", 0},
		{"a: b # c", 5},
		{"a: b#c", -1},
		{"a: 'b # c'", -1},
		{`a: "b # c"`, -1},
		{`a: "b # c" # d`, 11},
		{`a: "b \" # c"`, -1},        // an escaped quote does not end the string
		{`a: "b \\" # c`, 10},        // an escaped backslash does
		{"a: 'it''s # c'", -1},       // '' is a quote inside single quotes
		{"a: 'it''s' # c", 11},       //
		{"a: it's # c", 8},           // a quote inside a plain scalar opens nothing
		{`add: [0"] #`, 10},          // the fuzz finding aad45e895824f781
		{`a: [x, "y # z"]`, -1},      // a quoted item of a flow sequence
		{`a: {k: "v # w"} # c`, 16},  //
		{`{"a":"b # c"}`, -1},        // JSON: a value right after a quoted key's ':'
		{`a:"b # c"`, 5},             // block context: one plain scalar a:"b, then a comment
		{`- "x # y"`, -1},            //
		{`- x"y # z`, 6},             //
		{`? "k # l"`, -1},            //
		{`a: !!str "b # c"`, -1},     // a tag before the string
		{`a: &anchor 'b # c'`, -1},   // an anchor
		{`a: !tag"b # c`, 10},        // not a tag followed by a string
		{"a: b\t# c", 5},             //
		{`a: "unterminated # c`, -1}, // continued on the next line: all string
		{`  continued" # c`, 13},     // the next line, read on its own
	}
	for _, tt := range tests {
		if got := commentStart([]byte(tt.line)); got != tt.want {
			t.Errorf("commentStart(%q) = %d, want %d", tt.line, got, tt.want)
		}
	}
}
