"""The facility layer and the spatial database kernel the other packages build on."""
