package connectors

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// Check reports what is wrong with a description: a key its settings struct
// decodes but no field describes (so the admin form could not set it), a
// field for a key the struct does not decode, a field whose type cannot hold
// the struct's value, a field without labels in both languages, a select
// without options. Each connector's tests (and connectors/all) call it.
func (d Description) Check() error {
	var errs []error
	if d.Title.Ko == "" || d.Title.En == "" {
		errs = append(errs, errors.New("title needs Korean and English"))
	}
	seen := map[string]bool{}
	var settings []Field
	for _, f := range d.Fields {
		if seen[f.Key] {
			errs = append(errs, fmt.Errorf("field %q is described twice", f.Key))
		}
		seen[f.Key] = true
		errs = append(errs, checkField(f)...)
		if f.Type == FieldSecret {
			if strings.Contains(f.Key, ".") || strings.HasSuffix(f.Key, "_file") {
				errs = append(errs, fmt.Errorf("secret %q: a secret is a plain name", f.Key))
			}
			continue
		}
		settings = append(settings, f)
	}
	var t reflect.Type
	if d.Settings != nil {
		t = reflect.TypeOf(d.Settings)
	}
	errs = append(errs, cover(t, "", settings)...)
	for _, e := range d.Endpoints {
		if e.Name == "" || e.Template == "" || e.Label.Ko == "" || e.Label.En == "" {
			errs = append(errs, fmt.Errorf("endpoint %q needs a name, a template and labels in both languages", e.Name))
		}
	}
	return errors.Join(errs...)
}

func checkField(f Field) []error {
	var errs []error
	if f.Key == "" {
		return []error{errors.New("a field has no key")}
	}
	if f.Label.Ko == "" || f.Label.En == "" {
		errs = append(errs, fmt.Errorf("field %q needs a label in Korean and English", f.Key))
	}
	if (f.Help.Ko == "") != (f.Help.En == "") {
		errs = append(errs, fmt.Errorf("field %q has help in one language only", f.Key))
	}
	switch f.Type {
	case FieldString, FieldText, FieldSecret, FieldBool, FieldNumber, FieldURL:
	case FieldSelect:
		if len(f.Options) == 0 {
			errs = append(errs, fmt.Errorf("select %q has no options", f.Key))
		}
		for _, o := range f.Options {
			if o.Label.Ko == "" || o.Label.En == "" {
				errs = append(errs, fmt.Errorf("select %q: option %q needs labels in both languages", f.Key, o.Value))
			}
		}
	case FieldList:
		if f.Item != ItemString && f.Item != ItemNumber && f.Item != ItemSpan {
			errs = append(errs, fmt.Errorf("list %q: unknown item type %q", f.Key, f.Item))
		}
	case FieldGroups:
		if len(f.Fields) == 0 {
			errs = append(errs, fmt.Errorf("groups %q has no fields", f.Key))
		}
		for _, sub := range f.Fields {
			for _, e := range checkField(sub) {
				errs = append(errs, fmt.Errorf("%s: %w", f.Key, e))
			}
		}
	default:
		errs = append(errs, fmt.Errorf("field %q: unknown type %q", f.Key, f.Type))
	}
	return errs
}

// cover checks that fields (keys relative to prefix) describe exactly the
// JSON keys struct type t decodes.
func cover(t reflect.Type, prefix string, fields []Field) []error {
	var errs []error
	used := map[string]bool{}
	byKey := map[string]Field{}
	for _, f := range fields {
		byKey[f.Key] = f
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && t.Kind() == reflect.Struct {
		walkJSON(t, "", func(path string, ft reflect.Type) {
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			switch {
			case ft.Kind() == reflect.Map:
				n := 0
				for k, f := range byKey {
					if k == path || strings.HasPrefix(k, path+".") {
						used[k] = true
						n++
						if err := fits(f, ft.Elem()); k != path && err != nil {
							errs = append(errs, fmt.Errorf("field %q: %w", prefix+k, err))
						}
					}
				}
				if n == 0 {
					errs = append(errs, fmt.Errorf("setting %q is decoded but not described", prefix+path))
				}
			case ft.Kind() == reflect.Slice && elemStruct(ft.Elem()):
				f, ok := byKey[path]
				if !ok || f.Type != FieldGroups {
					errs = append(errs, fmt.Errorf("setting %q (a list of objects) needs a %q field", prefix+path, FieldGroups))
					return
				}
				used[path] = true
				errs = append(errs, cover(ft.Elem(), prefix+path+"[].", f.Fields)...)
			default:
				f, ok := byKey[path]
				if !ok {
					errs = append(errs, fmt.Errorf("setting %q is decoded but not described", prefix+path))
					return
				}
				used[path] = true
				if err := fits(f, ft); err != nil {
					errs = append(errs, fmt.Errorf("field %q: %w", prefix+path, err))
				}
			}
		})
	}
	for _, f := range fields {
		if !used[f.Key] {
			errs = append(errs, fmt.Errorf("field %q describes a setting the settings struct does not decode", prefix+f.Key))
		}
	}
	return errs
}

func elemStruct(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Kind() == reflect.Struct
}

// walkJSON calls fn for every leaf, map or list-of-objects JSON key of
// struct type t, with dotted paths for nested structs.
func walkJSON(t reflect.Type, prefix string, fn func(path string, ft reflect.Type)) {
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		ft := sf.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && ft.PkgPath() != "time" {
			walkJSON(ft, prefix+name+".", fn)
			continue
		}
		fn(prefix+name, sf.Type)
	}
}

// fits reports whether a field of f's type can hold a Go value of type t.
func fits(f Field, t reflect.Type) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	ok := false
	switch f.Type {
	case FieldString, FieldText, FieldSelect, FieldURL:
		ok = t.Kind() == reflect.String
	case FieldBool:
		ok = t.Kind() == reflect.Bool
	case FieldNumber:
		switch t.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
			ok = true
		}
	case FieldList:
		if t.Kind() == reflect.Slice {
			e := t.Elem()
			switch f.Item {
			case ItemString:
				ok = e.Kind() == reflect.String
			case ItemNumber:
				ok = e.Kind() >= reflect.Int && e.Kind() <= reflect.Float64
			case ItemSpan:
				ok = e.Kind() == reflect.Array && e.Len() == 2 && e.Elem().Kind() == reflect.String
			}
		}
	}
	if !ok {
		return fmt.Errorf("a %s field cannot hold a %s", f.Type, t)
	}
	return nil
}
