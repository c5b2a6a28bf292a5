package kio

import (
	"errors"
	"fmt"
	"testing"
)

func TestError(t *testing.T) {
	for _, c := range []struct {
		err  *Error
		want string
	}{
		{&Error{Path: "a.yaml", Line: 3, Column: 5, Msg: "bad"}, "a.yaml:3:5: bad"},
		{&Error{Path: "a.yaml", Line: 3, Msg: "bad"}, "a.yaml:3: bad"},
		{&Error{Path: "a.yaml", Msg: "bad"}, "a.yaml: bad"},
		{&Error{Line: 3, Msg: "bad"}, "line 3: bad"},
		{&Error{Msg: "bad"}, "bad"},
	} {
		if got := c.err.Error(); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
		var e *Error
		if !errors.As(fmt.Errorf("wrapped: %w", c.err), &e) || e != c.err {
			t.Errorf("errors.As does not find %v", c.err)
		}
	}
}
