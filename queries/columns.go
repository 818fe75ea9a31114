package queries

import (
	"fmt"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// Column is one table column with its Athena (Hive DDL) type.
type Column struct {
	Name string
	Type string
}

// Columns returns the Athena columns of a Parquet schema, in order: the
// columns a table over files with that schema must declare. The mapping
// covers what keytrail writes: string → string, boolean → boolean, int64 →
// bigint, timestamp (milliseconds) → timestamp, LIST<string> →
// array<string>. Anything else is an error, so a new column type cannot
// slip into the lake without its DDL being decided.
func Columns(schema *parquet.Schema) ([]Column, error) {
	var cols []Column
	for _, f := range schema.Fields() {
		t, err := athenaType(f)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", f.Name(), err)
		}
		cols = append(cols, Column{Name: f.Name(), Type: t})
	}
	return cols, nil
}

func athenaType(n parquet.Node) (string, error) {
	if !n.Leaf() {
		if _, ok := logical(n.Type()).(*format.ListType); !ok {
			return "", fmt.Errorf("unsupported group %s", n.String())
		}
		// LIST: group (LIST) > repeated group list > element.
		inner := n.Fields()
		if len(inner) != 1 || !inner[0].Repeated() || len(inner[0].Fields()) != 1 {
			return "", fmt.Errorf("malformed list %s", n.String())
		}
		elem, err := athenaType(inner[0].Fields()[0])
		if err != nil {
			return "", fmt.Errorf("list element: %w", err)
		}
		return "array<" + elem + ">", nil
	}
	if n.Repeated() {
		return "", fmt.Errorf("repeated leaf %s (use a LIST)", n.String())
	}
	t := n.Type()
	lt := logical(t)
	switch t.Kind() {
	case parquet.Boolean:
		if lt == nil {
			return "boolean", nil
		}
	case parquet.Int64:
		if it, ok := lt.(*format.IntType); lt == nil || ok && it.BitWidth == 64 && it.IsSigned {
			return "bigint", nil
		}
		if ts, ok := lt.(*format.TimestampType); ok {
			if _, ms := ts.Unit.Value.(*format.MilliSeconds); ms {
				return "timestamp", nil
			}
		}
	case parquet.ByteArray:
		if _, ok := lt.(*format.StringType); ok {
			return "string", nil
		}
	}
	if lt != nil {
		return "", fmt.Errorf("unsupported type %s (%s)", t.Kind(), lt)
	}
	return "", fmt.Errorf("unsupported type %s", t.Kind())
}

// logical returns the logical type annotation of t, or nil.
func logical(t parquet.Type) format.LogicalTypeValue {
	if lt := t.LogicalType(); lt != nil {
		return lt.Value
	}
	return nil
}
