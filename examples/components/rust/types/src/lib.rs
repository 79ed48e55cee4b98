//! `types`: exports `nanoproc:examples/all-types` (`examples/components/wit/types.wit`), one
//! function per WIT type, for the host's value round-trip tests. Every `echo-*` function returns
//! its argument unchanged; the others compute (see the WIT for what each returns).

wit_bindgen::generate!({
    path: "../../wit",
    world: "nanoproc:examples/types",
});

use std::cell::Cell;

use exports::nanoproc::examples::all_types::{
    Color, Guest, GuestCounter, Permissions, Person, Point, Shape,
};

struct Types;

/// The `counter` resource.
struct Counter {
    value: Cell<u64>,
}

impl GuestCounter for Counter {
    fn new(start: u64) -> Self {
        Counter {
            value: Cell::new(start),
        }
    }

    fn increment(&self, by: u64) -> u64 {
        let value = self.value.get().wrapping_add(by);
        self.value.set(value);
        value
    }

    fn get(&self) -> u64 {
        self.value.get()
    }
}

impl Guest for Types {
    type Counter = Counter;

    fn echo_bool(x: bool) -> bool {
        x
    }
    fn echo_s8(x: i8) -> i8 {
        x
    }
    fn echo_s16(x: i16) -> i16 {
        x
    }
    fn echo_s32(x: i32) -> i32 {
        x
    }
    fn echo_s64(x: i64) -> i64 {
        x
    }
    fn echo_u8(x: u8) -> u8 {
        x
    }
    fn echo_u16(x: u16) -> u16 {
        x
    }
    fn echo_u32(x: u32) -> u32 {
        x
    }
    fn echo_u64(x: u64) -> u64 {
        x
    }
    fn echo_f32(x: f32) -> f32 {
        x
    }
    fn echo_f64(x: f64) -> f64 {
        x
    }
    fn echo_char(x: char) -> char {
        x
    }
    fn echo_string(x: String) -> String {
        x
    }
    fn echo_bytes(x: Vec<u8>) -> Vec<u8> {
        x
    }
    fn echo_strings(x: Vec<String>) -> Vec<String> {
        x
    }
    fn echo_point(x: Point) -> Point {
        x
    }
    fn echo_person(x: Person) -> Person {
        x
    }
    fn echo_tuple(x: (u8, String, f64)) -> (u8, String, f64) {
        x
    }
    fn echo_shape(x: Shape) -> Shape {
        x
    }
    fn echo_color(x: Color) -> Color {
        x
    }
    fn echo_option(x: Option<u32>) -> Option<u32> {
        x
    }
    fn echo_nested_option(x: Option<Option<String>>) -> Option<Option<String>> {
        x
    }
    fn echo_result(x: Result<u32, String>) -> Result<u32, String> {
        x
    }
    fn echo_unit_result(x: Result<(), ()>) -> Result<(), ()> {
        x
    }
    fn echo_permissions(x: Permissions) -> Permissions {
        x
    }
    fn echo_many(a: u8, b: String, c: Vec<bool>) -> (u8, String, Vec<bool>) {
        (a, b, c)
    }

    fn nothing() {}

    fn add(a: i64, b: i64) -> i64 {
        a.wrapping_add(b)
    }

    fn upper(s: String) -> String {
        s.to_uppercase()
    }

    fn sum(bytes: Vec<u8>) -> u64 {
        bytes.iter().map(|&b| u64::from(b)).sum()
    }

    fn area(s: Shape) -> f64 {
        match s {
            Shape::Circle(r) => std::f64::consts::PI * r * r,
            Shape::Rectangle(p) => (f64::from(p.x) * f64::from(p.y)).abs(),
            Shape::Nothing => 0.0,
        }
    }

    fn next_color(c: Color) -> Color {
        match c {
            Color::Red => Color::Green,
            Color::Green => Color::Blue,
            Color::Blue => Color::Red,
        }
    }

    fn invert(p: Permissions) -> Permissions {
        let all = Permissions::READ | Permissions::WRITE | Permissions::EXECUTE;
        Permissions::from_bits_retain(all.bits() & !p.bits())
    }

    fn describe(p: Person) -> String {
        match p.nickname {
            Some(nick) => format!("{} \"{}\" ({})", p.name, nick, p.age),
            None => format!("{} ({})", p.name, p.age),
        }
    }

    fn parse_u32(s: String) -> Result<u32, String> {
        let digits = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        match s.parse() {
            Ok(n) if digits => Ok(n),
            _ => Err(format!("`{s}` is not a u32")),
        }
    }

    fn half(x: u32) -> Option<u32> {
        (x % 2 == 0).then_some(x / 2)
    }

    fn check(fail: bool) -> Result<(), ()> {
        if fail { Err(()) } else { Ok(()) }
    }
}

export!(Types);
