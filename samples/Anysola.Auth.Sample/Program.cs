Console.WriteLine("anysola");
