@_exported import TesseraModels
@_exported import TesseraTensor
