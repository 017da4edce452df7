package report

import "image/color"

// The ten colours of matplotlib's default cycle ("tab10"), by name, so that
// a study's plots can give each series a fixed colour that readers know
// from other tools.
var (
	Blue   = color.RGBA{0x1f, 0x77, 0xb4, 0xff}
	Orange = color.RGBA{0xff, 0x7f, 0x0e, 0xff}
	Green  = color.RGBA{0x2c, 0xa0, 0x2c, 0xff}
	Red    = color.RGBA{0xd6, 0x27, 0x28, 0xff}
	Purple = color.RGBA{0x94, 0x67, 0xbd, 0xff}
	Brown  = color.RGBA{0x8c, 0x56, 0x4b, 0xff}
	Pink   = color.RGBA{0xe3, 0x77, 0xc2, 0xff}
	Grey   = color.RGBA{0x7f, 0x7f, 0x7f, 0xff}
	Olive  = color.RGBA{0xbc, 0xbd, 0x22, 0xff}
	Cyan   = color.RGBA{0x17, 0xbe, 0xcf, 0xff}
)

// Palette is the ten in matplotlib's order; the report's plots cycle
// through it.
var Palette = []color.Color{Blue, Orange, Green, Red, Purple, Brown, Pink, Grey, Olive, Cyan}
